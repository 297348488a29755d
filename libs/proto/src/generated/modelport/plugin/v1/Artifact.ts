// Original file: proto/modelport/plugin/v1/plugin.proto

import type { Long } from '@grpc/proto-loader';

export interface Artifact {
  'uri'?: (string);
  'sha256'?: (string);
  'size_bytes'?: (number | string | Long);
  'format'?: (string);
}

export interface Artifact__Output {
  'uri': (string);
  'sha256': (string);
  'size_bytes': (number);
  'format': (string);
}
