// The agents' IAM policy: least privilege on the bucket's Floe prefix. Read, write and delete
// objects under `<prefix>/` (tables, their metadata and logs, and the configuration store), and list
// only keys under that prefix. AbortMultipartUpload belongs to writing: the agent uploads large
// Parquet files in parts and must be able to abandon a failed upload. Nothing on other prefixes,
// nothing on the bucket's configuration.

export interface PolicyStatement {
  readonly Sid: string;
  readonly Effect: 'Allow';
  readonly Action: readonly string[];
  readonly Resource: string;
  readonly Condition?: Record<string, Record<string, readonly string[]>>;
}

export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: readonly PolicyStatement[];
}

export const OBJECT_ACTIONS = ['s3:GetObject', 's3:PutObject', 's3:DeleteObject', 's3:AbortMultipartUpload'] as const;
export const BUCKET_ACTIONS = ['s3:ListBucket'] as const;

export function agentPolicyDocument(bucketName: string, prefix: string, partition = 'aws'): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'FloeObjectsUnderPrefix',
        Effect: 'Allow',
        Action: [...OBJECT_ACTIONS],
        Resource: `arn:${partition}:s3:::${bucketName}/${prefix}/*`,
      },
      {
        Sid: 'FloeListPrefix',
        Effect: 'Allow',
        Action: [...BUCKET_ACTIONS],
        Resource: `arn:${partition}:s3:::${bucketName}`,
        Condition: { StringLike: { 's3:prefix': [`${prefix}/*`] } },
      },
    ],
  };
}

export function assumeRolePolicyDocument(services: readonly string[]): object {
  return {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Principal: { Service: [...services] } }],
  };
}
