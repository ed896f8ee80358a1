#!/usr/bin/env bash
# Upgrades a stack deployed before native S3 notifications (a Custom::S3BucketNotifications resource run by a Python
# function, a web bucket filled by BucketDeployment) to this release, without losing an upload's event.
#
# Why: the update first writes the bucket's own NotificationConfiguration, then, in CloudFormation's clean-up phase,
# deletes the old custom resource; its handler answers that delete by writing an EMPTY notification configuration, which
# silently wipes the new one. So this script
#   1. reads the originals bucket's name (kept: naming it now would replace the bucket) and its notification configuration,
#   2. deploys with -c originalsBucketName=<that name>,
#   3. writes the saved configuration back right after the deploy,
#   4. publishes the event of every original created since step 2 began to the uploads topic again (a duplicate of an
#      event that did arrive is acknowledged as a duplicate; one that was lost is processed),
#   5. prints the retained web bucket, which the stack no longer holds, for you to delete.
#
# Usage: infra/scripts/upgrade-to-native-notifications.sh [STACK_NAME] [-- extra cdk deploy arguments]
# Needs: the AWS CLI and jq, credentials for the stack's account and region, and `npm ci` done at the repository root.
# Afterwards keep "originalsBucketName" in cdk.json's "context" (the script prints the line): every later deploy needs it.
set -euo pipefail
cd "$(dirname "$0")/../.."

stack="${1:-ImagePipeline}"
shift || true
if [ "${1:-}" = "--" ]; then shift; fi

output() {
  aws cloudformation describe-stacks --stack-name "$stack" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}

bucket="$(output OriginalsBucketName)"
if [ -z "$bucket" ] || [ "$bucket" = "None" ]; then
  echo "error: stack $stack has no OriginalsBucketName output" >&2
  exit 1
fi

legacy="$(aws cloudformation describe-stack-resources --stack-name "$stack" \
  --query "length(StackResources[?ResourceType=='Custom::S3BucketNotifications'])" --output text)"
if [ "$legacy" = "0" ]; then
  echo "error: stack $stack has no Custom::S3BucketNotifications: it is already upgraded (or not the stack you mean)" >&2
  exit 1
fi

web="$(aws cloudformation describe-stack-resources --stack-name "$stack" \
  --query "StackResources[?ResourceType=='AWS::S3::Bucket' && starts_with(LogicalResourceId, 'Web')].PhysicalResourceId" --output text)"

saved="$(mktemp)"
aws s3api get-bucket-notification-configuration --bucket "$bucket" >"$saved"
topic="$(jq -r '.TopicConfigurations[0].TopicArn // empty' "$saved")"
if [ -z "$topic" ]; then
  echo "error: bucket $bucket has no topic notification to keep; saved configuration: $(cat "$saved")" >&2
  exit 1
fi
echo "originals bucket $bucket notifies $topic (configuration saved in $saved)"

since="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
restore() {
  aws s3api put-bucket-notification-configuration --bucket "$bucket" --notification-configuration "file://$saved"
  echo "notification configuration of $bucket written back:"
  aws s3api get-bucket-notification-configuration --bucket "$bucket"
}
# Whatever happens to the deploy (also a failure or a rollback), the bucket ends with its notification configuration.
trap restore EXIT

npx cdk deploy "$stack" -c anonymousApi=true -c originalsBucketName="$bucket" "$@"

trap - EXIT
restore

# Originals created since the deploy started may have missed their event: announce them again.
count=0
while IFS=$'\t' read -r key size etag modified; do
  [ -n "$key" ] || continue
  event="$(jq -cn --arg b "$bucket" --arg k "$key" --argjson s "$size" --arg e "${etag//\"/}" --arg t "$modified" \
    '{Records: [{eventVersion: "2.1", eventSource: "aws:s3", eventName: "ObjectCreated:Put", eventTime: $t,
                 s3: {bucket: {name: $b}, object: {key: $k, size: $s, eTag: $e, sequencer: "0"}}}]}')"
  aws sns publish --topic-arn "$topic" --message "$event" >/dev/null
  count=$((count + 1))
done < <(aws s3api list-objects-v2 --bucket "$bucket" --prefix originals/ \
  --query "Contents[?LastModified>='$since'].[Key,Size,ETag,LastModified]" --output text | grep -v '^None$' || true)
echo "events published again for $count original(s) created since $since"

echo
echo "Add to cdk.json's \"context\" (every later deploy needs it):  \"originalsBucketName\": \"$bucket\""
if [ -n "$web" ] && [ "$web" != "None" ]; then
  echo "The page's old bucket $web is retained and no longer part of the stack; delete it with:"
  echo "  aws s3 rb s3://$web --force"
fi
