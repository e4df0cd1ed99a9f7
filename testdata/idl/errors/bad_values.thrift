enum Color {
    RED = 1,
    BLUE = 2,
}

struct Point {
    1: i32 x,
    2: i32 y,
}

const i32 TEXT = "seven"
const byte BIG = 300
const Color PURPLE = Color.PURPLE
const Point ORIGIN = {"x": 0, "z": 1}
const i32 LOOP = LOOP
const uuid BAD_ID = "not-a-uuid"

struct Defaults {
    1: bool flag = 2,
    2: list<i32> nums = {"a": 1},
}
