// Original file: proto/modelport/plugin/v1/plugin.proto


export interface ModelFormat {
  'name'?: (string);
  'priority'?: (number);
}

export interface ModelFormat__Output {
  'name': (string);
  'priority': (number);
}
