// The server's service plus a method it does not have, to provoke UNKNOWN_METHOD.
service Codec {
    i64 Add(1: i32 a, 2: i64 b),
    void Missing(),
}
