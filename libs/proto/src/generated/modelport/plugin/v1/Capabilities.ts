// Original file: proto/modelport/plugin/v1/plugin.proto

import type { Long } from '@grpc/proto-loader';

export interface Capabilities {
  'raw_contents'?: (boolean);
  'batching'?: (boolean);
  'max_message_bytes'?: (number | string | Long);
  'infer_stream'?: (boolean);
}

export interface Capabilities__Output {
  'raw_contents': (boolean);
  'batching': (boolean);
  'max_message_bytes': (number);
  'infer_stream': (boolean);
}
