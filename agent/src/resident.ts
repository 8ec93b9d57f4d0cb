// Instances that live as long as their thread, so that V8 keeps the optimised code of the hot paths.
//
// V8 reaches the hidden classes ("maps") of a class's instances from the class only through weak
// transitions. When a full collection finds no instance of a class alive (the encoder's byte sink and
// dictionary tables between two seals, the record cursor between two chunks), it frees those maps
// and deoptimises every function whose optimised code checks for them ("embedded weak objects
// cleared" in node --trace-deopt); V8 then compiles those functions again, after every collection.
// One resident instance per class keeps the maps, and with them the code.

const residents: object[] = [];

/** Keeps `instance` alive for the life of this thread (see above) and returns it. */
export function resident<T extends object>(instance: T): T {
  residents.push(instance);
  return instance;
}
