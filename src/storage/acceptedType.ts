/** A content type the server established from the bytes, with the extension it puts in keys. */
export interface AcceptedType {
  mime: string;
  extension: string;
}
