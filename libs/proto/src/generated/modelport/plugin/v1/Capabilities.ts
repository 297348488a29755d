// Original file: proto/modelport/plugin/v1/plugin.proto

import type { Long } from '@grpc/proto-loader';

export interface Capabilities {
  'raw_contents'?: (boolean);
  'batching'?: (boolean);
  'max_message_bytes'?: (number | string | Long);
}

export interface Capabilities__Output {
  'raw_contents': (boolean);
  'batching': (boolean);
  'max_message_bytes': (number);
}
