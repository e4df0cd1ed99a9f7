struct Broken {
    1: string a,
    2 string b,
    3: i32 c,
}

struct AlsoBroken {
    1: list<i32 d,
}

struct Fine {
    1: string ok,
}
