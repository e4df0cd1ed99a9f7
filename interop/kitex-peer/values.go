// Canonical JSON form of the interop IDL's values (interop/README.md, "Output
// contract") for the Kitex generated types, and the echo rule.
//
// Kitex's generated Go code keeps every field that is not `optional` as a plain
// value, so "absent" cannot be told from the zero value: such fields are always
// written on the wire and always rendered here. Optional fields and struct or union
// fields are pointers and are rendered only when set.

package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"

	"anycall/interop/kitex-peer/kitex_gen/base"
	"anycall/interop/kitex-peer/kitex_gen/interop/echo"
)

// ---------------------------------------------------------------- the echo rule

// echoOf is what EchoService.Echo answers for req (when `action` asks for nothing else).
func echoOf(req *echo.EchoRequest) *echo.EchoResponse {
	r := &echo.EchoResponse{
		Message:   req.Message,
		Action:    req.Action,
		Flag:      req.Flag,
		B:         req.B,
		Tiny:      req.Tiny,
		Small:     req.Small,
		Medium:    req.Medium,
		Big:       req.Big,
		Ratio:     req.Ratio,
		Blob:      req.Blob,
		Ints:      req.Ints,
		Tags:      req.Tags,
		Counts:    req.Counts,
		NamesById: req.NamesById,
		Inners:    req.Inners,
		Nested:    req.Nested,
		Color:     req.Color,
		Seq:       req.Seq,
		Shape:     req.Shape,
		Inner:     req.Inner,
		Note:      req.Note,
		Level:     req.Level,
		BaseResp:  &base.BaseResp{StatusMessage: "ok", StatusCode: 0},
	}
	if req.Base != nil && req.Base.Extra != nil {
		r.BaseResp.Extra = req.Base.Extra
	}
	return r
}

// ---------------------------------------------------------------- values -> JSON

func sortedStrings(v []string) []any {
	items := append([]string(nil), v...)
	sort.Strings(items)
	out := make([]any, len(items))
	for i, s := range items {
		out[i] = s
	}
	return out
}

func strList(v []string) []any {
	out := make([]any, len(v))
	for i, s := range v {
		out[i] = s
	}
	return out
}

func i32List(v []int32) []any {
	out := make([]any, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}

func strMap(v map[string]string) map[string]any {
	out := make(map[string]any, len(v))
	for k, x := range v {
		out[k] = x
	}
	return out
}

func innerJSON(v *echo.Inner) map[string]any {
	m := map[string]any{"id": v.Id, "labels": strList(v.Labels)}
	if v.Weight != nil {
		m["weight"] = int64(*v.Weight)
	}
	return m
}

func shapeJSON(v *echo.Shape) map[string]any {
	m := map[string]any{}
	if v.Inner != nil {
		m["inner"] = innerJSON(v.Inner)
	}
	if v.Name != nil {
		m["name"] = *v.Name
	}
	if v.Radius != nil {
		m["radius"] = *v.Radius
	}
	return m
}

func baseRespJSON(v *base.BaseResp) map[string]any {
	m := map[string]any{"StatusMessage": v.StatusMessage, "StatusCode": int64(v.StatusCode)}
	if v.Extra != nil {
		m["Extra"] = strMap(v.Extra)
	}
	return m
}

func responseJSON(r *echo.EchoResponse) map[string]any {
	counts := make(map[string]any, len(r.Counts))
	for k, x := range r.Counts {
		counts[k] = x
	}
	names := make(map[string]any, len(r.NamesById))
	for k, x := range r.NamesById {
		names[strconv.FormatInt(k, 10)] = x
	}
	inners := make(map[string]any, len(r.Inners))
	for k, x := range r.Inners {
		if x == nil {
			x = &echo.Inner{}
		}
		inners[k] = innerJSON(x)
	}
	nested := make([]any, len(r.Nested))
	for i, mm := range r.Nested {
		o := make(map[string]any, len(mm))
		for k, x := range mm {
			o[k] = i32List(x)
		}
		nested[i] = o
	}
	m := map[string]any{
		"message":     r.Message,
		"action":      r.Action,
		"flag":        r.Flag,
		"b":           int64(r.B),
		"tiny":        int64(r.Tiny),
		"small":       int64(r.Small),
		"medium":      int64(r.Medium),
		"big":         r.Big,
		"ratio":       r.Ratio,
		"blob":        base64.StdEncoding.EncodeToString(r.Blob),
		"ints":        i32List(r.Ints),
		"tags":        sortedStrings(r.Tags),
		"counts":      counts,
		"names_by_id": names,
		"inners":      inners,
		"nested":      nested,
		"color":       int64(r.Color),
		"seq":         r.Seq,
		"level":       int64(r.Level),
	}
	if r.Shape != nil {
		m["shape"] = shapeJSON(r.Shape)
	}
	if r.Inner != nil {
		m["inner"] = innerJSON(r.Inner)
	}
	if r.Note != nil {
		m["note"] = *r.Note
	}
	if r.BaseResp != nil {
		m["BaseResp"] = baseRespJSON(r.BaseResp)
	}
	return m
}

func echoErrorJSON(e *echo.EchoError) map[string]any {
	return map[string]any{"code": int64(e.Code), "msg": e.Msg}
}

func otherErrorJSON(e *echo.OtherError) map[string]any {
	return map[string]any{"reason": e.Reason}
}

// ---------------------------------------------------------------- JSON -> values

func obj(v any, what string) (map[string]any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: expected an object, got %s", what, show(v))
	}
	return m, nil
}

func getStr(v any, what string) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s: expected a string, got %s", what, show(v))
	}
	return s, nil
}

func getI64(v any, what string) (int64, error) {
	switch x := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(x), 10, 64); err == nil {
			return i, nil
		}
	case int64:
		return x, nil
	}
	return 0, fmt.Errorf("%s: expected an integer, got %s", what, show(v))
}

func getInt(v any, what string, bits int) (int64, error) {
	i, err := getI64(v, what)
	if err != nil {
		return 0, err
	}
	lo, hi := int64(-1)<<(bits-1), int64(1)<<(bits-1)-1
	if bits == 64 {
		lo, hi = math.MinInt64, math.MaxInt64
	}
	if i < lo || i > hi {
		return 0, fmt.Errorf("%s: %d out of range", what, i)
	}
	return i, nil
}

func getF64(v any, what string) (float64, error) {
	switch x := v.(type) {
	case json.Number:
		if f, err := x.Float64(); err == nil {
			return f, nil
		}
	case float64:
		return x, nil
	case int64:
		return float64(x), nil
	}
	return 0, fmt.Errorf("%s: expected a number, got %s", what, show(v))
}

func getBool(v any, what string) (bool, error) {
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("%s: expected a bool, got %s", what, show(v))
	}
	return b, nil
}

func getArr(v any, what string) ([]any, error) {
	a, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s: expected an array, got %s", what, show(v))
	}
	return a, nil
}

func strVec(v any, what string) ([]string, error) {
	a, err := getArr(v, what)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(a))
	for i, x := range a {
		if out[i], err = getStr(x, what); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func i32Vec(v any, what string) ([]int32, error) {
	a, err := getArr(v, what)
	if err != nil {
		return nil, err
	}
	out := make([]int32, len(a))
	for i, x := range a {
		n, err := getInt(x, what, 32)
		if err != nil {
			return nil, err
		}
		out[i] = int32(n)
	}
	return out, nil
}

func strStrMap(v any, what string) (map[string]string, error) {
	m, err := obj(v, what)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(m))
	for k, x := range m {
		if out[k], err = getStr(x, what); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func checkKnown(m map[string]any, what string, known ...string) error {
	for k := range m {
		found := false
		for _, n := range known {
			if k == n {
				found = true
				break
			}
		}
		if !found {
			return fmt.Errorf("%s: unknown field %s", what, k)
		}
	}
	return nil
}

func innerFromJSON(v any, what string) (*echo.Inner, error) {
	m, err := obj(v, what)
	if err != nil {
		return nil, err
	}
	if err := checkKnown(m, what, "id", "weight", "labels"); err != nil {
		return nil, err
	}
	id, ok := m["id"]
	if !ok {
		return nil, fmt.Errorf("%s: missing required id", what)
	}
	in := &echo.Inner{}
	if in.Id, err = getStr(id, "id"); err != nil {
		return nil, err
	}
	if x, ok := m["weight"]; ok {
		w, err := getInt(x, "weight", 32)
		if err != nil {
			return nil, err
		}
		w32 := int32(w)
		in.Weight = &w32
	}
	if x, ok := m["labels"]; ok {
		if in.Labels, err = strVec(x, "labels"); err != nil {
			return nil, err
		}
	}
	return in, nil
}

func shapeFromJSON(v any, what string) (*echo.Shape, error) {
	m, err := obj(v, what)
	if err != nil {
		return nil, err
	}
	if len(m) != 1 {
		return nil, fmt.Errorf("%s: a union needs exactly one member, got %s", what, show(v))
	}
	s := &echo.Shape{}
	for k, x := range m {
		switch k {
		case "inner":
			if s.Inner, err = innerFromJSON(x, k); err != nil {
				return nil, err
			}
		case "name":
			name, err := getStr(x, k)
			if err != nil {
				return nil, err
			}
			s.Name = &name
		case "radius":
			r, err := getF64(x, k)
			if err != nil {
				return nil, err
			}
			s.Radius = &r
		default:
			return nil, fmt.Errorf("%s: unknown member %s", what, k)
		}
	}
	return s, nil
}

func baseFromJSON(v any, what string) (*base.Base, error) {
	m, err := obj(v, what)
	if err != nil {
		return nil, err
	}
	if err := checkKnown(m, what, "LogID", "Caller", "Addr", "Client", "Extra"); err != nil {
		return nil, err
	}
	b := &base.Base{}
	for k, dst := range map[string]*string{"LogID": &b.LogID, "Caller": &b.Caller, "Addr": &b.Addr, "Client": &b.Client} {
		if x, ok := m[k]; ok {
			if *dst, err = getStr(x, k); err != nil {
				return nil, err
			}
		}
	}
	if x, ok := m["Extra"]; ok {
		if b.Extra, err = strStrMap(x, "Extra"); err != nil {
			return nil, err
		}
	}
	return b, nil
}

var requestFields = []string{
	"message", "action", "flag", "b", "tiny", "small", "medium", "big", "ratio", "blob",
	"ints", "tags", "counts", "names_by_id", "inners", "nested", "color", "seq", "shape",
	"inner", "note", "level", "Base",
}

// requestFromJSON builds the typed request from its canonical JSON. Fields the JSON
// leaves out keep Go's zero value (Kitex has no "unset" for them).
func requestFromJSON(v any) (*echo.EchoRequest, error) {
	m, err := obj(v, "req")
	if err != nil {
		return nil, err
	}
	if err := checkKnown(m, "req", requestFields...); err != nil {
		return nil, err
	}
	msg, ok := m["message"]
	if !ok {
		return nil, fmt.Errorf("req: missing required message")
	}
	r := &echo.EchoRequest{}
	if r.Message, err = getStr(msg, "message"); err != nil {
		return nil, err
	}
	field := func(name string, set func(x any) error) error {
		if x, ok := m[name]; ok {
			return set(x)
		}
		return nil
	}
	intField := func(name string, bits int, set func(int64)) error {
		return field(name, func(x any) error {
			i, err := getInt(x, name, bits)
			if err == nil {
				set(i)
			}
			return err
		})
	}
	steps := []error{
		field("action", func(x any) (err error) { r.Action, err = getStr(x, "action"); return }),
		field("flag", func(x any) (err error) { r.Flag, err = getBool(x, "flag"); return }),
		intField("b", 8, func(i int64) { r.B = int8(i) }),
		intField("tiny", 8, func(i int64) { r.Tiny = int8(i) }),
		intField("small", 16, func(i int64) { r.Small = int16(i) }),
		intField("medium", 32, func(i int64) { r.Medium = int32(i) }),
		intField("big", 64, func(i int64) { r.Big = i }),
		field("ratio", func(x any) (err error) { r.Ratio, err = getF64(x, "ratio"); return }),
		field("blob", func(x any) error {
			s, err := getStr(x, "blob")
			if err != nil {
				return err
			}
			if r.Blob, err = base64.StdEncoding.DecodeString(s); err != nil {
				return fmt.Errorf("blob: bad base64: %w", err)
			}
			return nil
		}),
		field("ints", func(x any) (err error) { r.Ints, err = i32Vec(x, "ints"); return }),
		field("tags", func(x any) (err error) { r.Tags, err = strVec(x, "tags"); return }),
		field("counts", func(x any) error {
			o, err := obj(x, "counts")
			if err != nil {
				return err
			}
			r.Counts = make(map[string]int64, len(o))
			for k, v := range o {
				if r.Counts[k], err = getI64(v, "counts"); err != nil {
					return err
				}
			}
			return nil
		}),
		field("names_by_id", func(x any) error {
			o, err := obj(x, "names_by_id")
			if err != nil {
				return err
			}
			r.NamesById = make(map[int64]string, len(o))
			for k, v := range o {
				key, err := strconv.ParseInt(k, 10, 64)
				if err != nil {
					return fmt.Errorf("names_by_id: key %s is no i64", k)
				}
				if r.NamesById[key], err = getStr(v, "names_by_id"); err != nil {
					return err
				}
			}
			return nil
		}),
		field("inners", func(x any) error {
			o, err := obj(x, "inners")
			if err != nil {
				return err
			}
			r.Inners = make(map[string]*echo.Inner, len(o))
			for k, v := range o {
				if r.Inners[k], err = innerFromJSON(v, "inners"); err != nil {
					return err
				}
			}
			return nil
		}),
		field("nested", func(x any) error {
			a, err := getArr(x, "nested")
			if err != nil {
				return err
			}
			r.Nested = make([]map[string][]int32, len(a))
			for i, mm := range a {
				o, err := obj(mm, "nested")
				if err != nil {
					return err
				}
				r.Nested[i] = make(map[string][]int32, len(o))
				for k, v := range o {
					if r.Nested[i][k], err = i32Vec(v, "nested"); err != nil {
						return err
					}
				}
			}
			return nil
		}),
		intField("color", 32, func(i int64) { r.Color = echo.Color(i) }),
		intField("seq", 64, func(i int64) { r.Seq = i }),
		field("shape", func(x any) (err error) { r.Shape, err = shapeFromJSON(x, "shape"); return }),
		field("inner", func(x any) (err error) { r.Inner, err = innerFromJSON(x, "inner"); return }),
		field("note", func(x any) error {
			s, err := getStr(x, "note")
			r.Note = &s
			return err
		}),
		intField("level", 32, func(i int64) { r.Level = int32(i) }),
		field("Base", func(x any) (err error) { r.Base, err = baseFromJSON(x, "Base"); return }),
	}
	for _, err := range steps {
		if err != nil {
			return nil, err
		}
	}
	return r, nil
}
