struct Thing {
    1: string a,
    1: string b,
    2: string a,
}

struct Thing {
    1: i32 x,
}

service S {
    void Go(),
    void Go(1: i32 x),
}
