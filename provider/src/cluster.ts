// FloeCluster: one Floe deployment. It holds the connection to the agents' control API (the floe
// provider configuration) and the bucket the agents write to, with a least-privilege IAM policy and
// role for the agents (private/policy.ts). The bucket is created, or taken as existing by name.
// SourceCluster and Table constructs reference a FloeCluster, so one app can manage several
// deployments (give each a providerAlias).

import { Construct } from 'constructs';
import { TerraformOutput, Token } from 'cdktf';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket/index.js';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block/index.js';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration/index.js';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls/index.js';
import { IamPolicy } from '@cdktf/provider-aws/lib/iam-policy/index.js';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment/index.js';
import { FloeProvider } from './.gen/floe/provider/index.js';
import { InvalidPropsError, show } from './errors.ts';
import { agentPolicyDocument, assumeRolePolicyDocument, type PolicyDocument } from './private/policy.ts';

export interface FloeClusterProps {
  /** Name of the bucket the agents write to (`destination_bucket_url`). */
  readonly bucketName: string;
  /**
   * Create the bucket (private, encrypted, owner-enforced). False: the bucket exists already and
   * nothing is created for it.
   * @default true
   */
  readonly createBucket?: boolean;
  /**
   * Let `destroy` delete a created bucket that still holds objects (table data!).
   * @default false
   */
  readonly forceDestroy?: boolean;
  /**
   * Key prefix of everything the agents write; the IAM policy allows nothing outside it.
   * @default 'floe'
   */
  readonly prefix?: string;
  /**
   * AWS region of the bucket, added to the destination bucket URL.
   * @default - none: the agents use their AWS_REGION
   */
  readonly region?: string;
  /**
   * Create the agents' IAM policy and a role with it attached. False creates no IAM resources
   * (attach `agentPolicyDocument` to a role of your own).
   * @default true
   */
  readonly createAgentRole?: boolean;
  /**
   * Service principals allowed to assume the agents' role.
   * @default ['ec2.amazonaws.com']
   */
  readonly agentRoleServices?: readonly string[];
  /**
   * AWS partition for ARNs.
   * @default 'aws'
   */
  readonly awsPartition?: string;
  /**
   * URL of an agent's control API.
   * @default - the FLOE_ENDPOINT environment variable when Terraform runs
   */
  readonly endpoint?: string;
  /**
   * Control API token. It ends up in the synthesized JSON; prefer the default.
   * @default - the FLOE_API_TOKEN environment variable when Terraform runs
   */
  readonly token?: string;
  /**
   * Alias of this deployment's floe provider, needed when a stack has more than one FloeCluster.
   * @default - the default (unaliased) floe provider
   */
  readonly providerAlias?: string;
}

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PREFIX_SEGMENT = /^[A-Za-z0-9._-]+$/;

export class FloeCluster extends Construct {
  /** The bucket's name. */
  readonly bucketName: string;
  /** Key prefix of everything the agents write. */
  readonly prefix: string;
  /** `s3://bucket?region=..&prefix=..`: the agents' destination_bucket_url. */
  readonly destinationBucketUrl: string;
  /** The agents' least-privilege policy, for attaching to roles of your own. */
  readonly agentPolicyDocument: PolicyDocument;
  /** The floe provider configuration that SourceCluster and Table resources use. */
  readonly provider: FloeProvider;
  /** The bucket, when created here. */
  readonly bucket?: S3Bucket;
  readonly agentPolicy?: IamPolicy;
  readonly agentRole?: IamRole;

  constructor(scope: Construct, id: string, props: FloeClusterProps) {
    super(scope, id);
    validate(props);
    this.bucketName = props.bucketName;
    this.prefix = props.prefix ?? 'floe';
    // The seed's format, unescaped: bucket names and prefixes are validated to need no escaping.
    const region = props.region !== undefined ? `region=${encodeURIComponent(props.region)}&` : '';
    this.destinationBucketUrl = `s3://${this.bucketName}?${region}prefix=${this.prefix}`;
    this.agentPolicyDocument = agentPolicyDocument(this.bucketName, this.prefix, props.awsPartition ?? 'aws');

    this.provider = new FloeProvider(this, 'provider', {
      ...(props.endpoint !== undefined ? { endpoint: props.endpoint } : {}),
      ...(props.token !== undefined ? { token: props.token } : {}),
      ...(props.providerAlias !== undefined ? { alias: props.providerAlias } : {}),
    });

    if (props.createBucket ?? true) {
      const bucket = new S3Bucket(this, 'bucket', { bucket: this.bucketName, forceDestroy: props.forceDestroy ?? false });
      new S3BucketPublicAccessBlock(this, 'public-access-block', {
        bucket: bucket.id,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
      new S3BucketOwnershipControls(this, 'ownership', { bucket: bucket.id, rule: { objectOwnership: 'BucketOwnerEnforced' } });
      new S3BucketServerSideEncryptionConfigurationA(this, 'encryption', {
        bucket: bucket.id,
        rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
      });
      this.bucket = bucket;
    }

    if (props.createAgentRole ?? true) {
      this.agentPolicy = new IamPolicy(this, 'agent-policy', {
        namePrefix: 'floe-agents-',
        description: `Floe agents: read, write, list and delete under s3://${this.bucketName}/${this.prefix}/ only`,
        policy: JSON.stringify(this.agentPolicyDocument),
      });
      this.agentRole = new IamRole(this, 'agent-role', {
        namePrefix: 'floe-agents-',
        description: 'Assumed by Floe agents',
        assumeRolePolicy: JSON.stringify(assumeRolePolicyDocument(props.agentRoleServices ?? ['ec2.amazonaws.com'])),
      });
      new IamRolePolicyAttachment(this, 'agent-policy-attachment', { role: this.agentRole.name, policyArn: this.agentPolicy.arn });
      new TerraformOutput(this, 'agent-role-arn', { value: this.agentRole.arn, description: 'IAM role for the Floe agents' });
    }
    new TerraformOutput(this, 'destination-bucket-url', { value: this.destinationBucketUrl, description: "The agents' destination_bucket_url" });
  }
}

function validate(props: FloeClusterProps): void {
  const where = 'FloeCluster';
  // Values only known at deploy time (variables, other resources' attributes) are not checked here.
  const known = (v: unknown) => !(typeof v === 'string' && Token.isUnresolved(v));
  if (known(props.bucketName) && (typeof props.bucketName !== 'string' || !BUCKET_NAME.test(props.bucketName) || props.bucketName.includes('..') || /^\d+\.\d+\.\d+\.\d+$/.test(props.bucketName))) {
    throw new InvalidPropsError(
      `${where}: bucketName must be 3-63 lowercase letters, digits, dots or hyphens, starting and ending with a letter or digit, got ${show(props.bucketName)}`,
    );
  }
  if (props.prefix !== undefined && known(props.prefix)) {
    if (props.prefix.startsWith('/') || props.prefix.endsWith('/')) {
      throw new InvalidPropsError(`${where}: prefix must not start or end with "/", got ${show(props.prefix)}`);
    }
    const bad = props.prefix.split('/').find((s) => !PREFIX_SEGMENT.test(s) || s === '.' || s === '..');
    if (bad !== undefined) {
      throw new InvalidPropsError(`${where}: prefix must be "/"-separated segments of letters, digits, '.', '_' or '-', got ${show(props.prefix)}`);
    }
  }
  if (props.forceDestroy && props.createBucket === false) {
    throw new InvalidPropsError(`${where}: forceDestroy applies to a bucket created here, but createBucket is false (bucket ${show(props.bucketName)})`);
  }
  if (props.agentRoleServices !== undefined) {
    if (props.createAgentRole === false) {
      throw new InvalidPropsError(`${where}: agentRoleServices is set but createAgentRole is false`);
    }
    if (props.agentRoleServices.length === 0) throw new InvalidPropsError(`${where}: agentRoleServices must not be empty, got []`);
  }
  if (props.endpoint !== undefined && known(props.endpoint) && !/^https?:\/\/[^/\s]+/.test(props.endpoint)) {
    throw new InvalidPropsError(`${where}: endpoint must be an http:// or https:// URL, got ${show(props.endpoint)}`);
  }
}
