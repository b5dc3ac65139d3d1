/** A batch encoded for one sink: the request body and its content type. */
export interface EncodedBatch {
  body: string;
  contentType: string;
}
