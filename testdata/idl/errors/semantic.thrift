typedef Loop2 Loop1
typedef Loop1 Loop2

service A extends B {}
service B extends A {}

service C {
    oneway i32 Bad(),
    void Throws() throws (0: string oops),
}
