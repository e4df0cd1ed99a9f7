//! Transport frames as pure byte codecs: Buffered, Framed, TTHeader, TTHeaderFramed.
