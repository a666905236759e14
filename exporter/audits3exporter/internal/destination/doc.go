// Package destination owns where one tenant's objects go and how we sign in there: an S3
// client per distinct destination (static keys, the default chain or an assumed role; a region
// given or discovered), writing one object without ever replacing another (PutNew), proving
// write access (Verify), and telling what a failure means (Classify).
//
// It needs only s3:PutObject, s3:ListBucket, s3:GetBucketLocation (for region: auto) and
// s3:AbortMultipartUpload, and works with s3:PutObject alone; it never sends an ACL, and never
// reads objects or heads buckets. Its errors never hold credentials.
//
// It knows nothing of batching, spooling, schemas or pdata: it is given bytes and a way to
// name them.
package destination
