"""Create the local manifest bucket (template.yaml's ManifestBucket) in moto's S3, idempotently.

Deployed, the bucket is private and clients read it through MANIFEST_BASE_URL (a CDN in front
of it); locally the bucket itself is that URL, so anyone may read (GET and list) it.

Usage: local_bucket.py  (endpoint, region and MANIFEST_BUCKET from the environment)
"""
import json
import os

import boto3


def main() -> None:
    name = os.environ["MANIFEST_BUCKET"]
    s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    if any(b["Name"] == name for b in s3.list_buckets().get("Buckets", [])):
        print(f"bucket {name} exists")
        return
    s3.create_bucket(Bucket=name, ACL="public-read")
    s3.put_bucket_policy(
        Bucket=name,
        Policy=json.dumps({
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{name}/*"},
                {"Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket", "Resource": f"arn:aws:s3:::{name}"},
            ],
        }),
    )
    print(f"bucket {name} created")


if __name__ == "__main__":
    main()
