#!/usr/bin/env bash
# End-to-end check of a deployed stack through its API (the function URL on LocalStack, or the HTTP API on AWS):
# POST /v1/uploads, PUT the bytes exactly as told, wait until the image is ready, then fetch its thumbnail.
# Usage: infra/scripts/e2e-upload.sh API_URL IMAGE_FILE [TIMEOUT_SECONDS]
# On a deployment with sign-in, set IMAGEPIPELINE_TOKEN to an access token: it is sent to the API as a bearer token
# (never to the presigned S3 URLs; curl drops it when a redirect leaves the API's host).
set -euo pipefail
api="${1:?usage: e2e-upload.sh API_URL IMAGE_FILE [TIMEOUT_SECONDS]}"
file="${2:?usage: e2e-upload.sh API_URL IMAGE_FILE [TIMEOUT_SECONDS]}"
timeout="${3:-300}"
api="${api%/}"
name="$(basename "$file")"
size="$(stat -c %s "$file")"
auth=()
if [ -n "${IMAGEPIPELINE_TOKEN:-}" ]; then auth=(-H "authorization: Bearer $IMAGEPIPELINE_TOKEN"); fi

echo "health: $(curl -fsS "$api/v1/health")"

created="$(curl -fsS "${auth[@]}" "$api/v1/uploads" -H 'content-type: application/json' \
  -d "{\"fileName\":\"$name\",\"contentType\":\"image/jpeg\",\"contentLength\":$size}")"
id="$(jq -r .imageId <<<"$created")"
url="$(jq -r .upload.url <<<"$created")"
echo "image $id: uploading $size bytes"

# Exactly the headers the API returned (Content-Type, Content-Length, If-None-Match).
headers=()
while IFS= read -r header; do headers+=(-H "$header"); done < <(jq -r '.upload.headers | to_entries[] | "\(.key): \(.value)"' <<<"$created")
curl -fsS -X PUT "$url" "${headers[@]}" --data-binary @"$file" -o /dev/null

# Write-once: a second PUT to the same URL must be refused.
if curl -fsS -X PUT "$url" "${headers[@]}" --data-binary @"$file" -o /dev/null 2>/dev/null; then
  echo "warning: a second PUT of the original was accepted (the emulator does not enforce If-None-Match)" >&2
fi

deadline=$((SECONDS + timeout))
status=""
while [ $SECONDS -lt $deadline ]; do
  status="$(curl -fsS "${auth[@]}" "$api/v1/images/$id" | jq -r .status)"
  case "$status" in
    ready) break ;;
    failed) curl -fsS "${auth[@]}" "$api/v1/images/$id" | jq .; echo "image $id failed" >&2; exit 1 ;;
  esac
  sleep 3
done
if [ "$status" != ready ]; then
  echo "image $id still '$status' after ${timeout}s" >&2
  exit 1
fi

curl -fsSL "${auth[@]}" "$api/v1/images/$id/thumbnail" -o thumbnail.webp
# A WebP file: "RIFF" .... "WEBP".
if [ "$(head -c 4 thumbnail.webp)" != RIFF ] || [ "$(dd if=thumbnail.webp bs=1 skip=8 count=4 2>/dev/null)" != WEBP ]; then
  echo "the thumbnail is not a WebP file" >&2
  exit 1
fi
echo "image $id ready; thumbnail $(stat -c %s thumbnail.webp) bytes"
