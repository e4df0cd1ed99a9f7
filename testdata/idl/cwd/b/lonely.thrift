// Found only when includes wrongly search the working directory.
struct Alone {
    1: i32 x,
}
