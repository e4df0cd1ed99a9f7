// Conversions between the canonical JSON of interop/README.md and the values of
// Kitex's map and JSON generic, driven by the Kitex generic descriptor of the IDL.

package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"

	"github.com/cloudwego/kitex/pkg/generic/descriptor"
)

func isBinary(t *descriptor.TypeDescriptor) bool { return t.Name == "binary" }

// toMapGeneric converts canonical JSON to the Go values Kitex's map generic writes
// (int8/int16/int32/int64, float64, string, []interface{},
// map[interface{}]interface{}, map[string]interface{} for structs). Binary stays
// base64 text: the peer's map generic runs with SetBinaryWithBase64(g, true).
func toMapGeneric(v any, t *descriptor.TypeDescriptor, what string) (any, error) {
	switch t.Type {
	case descriptor.BOOL:
		return getBool(v, what)
	case descriptor.I08:
		i, err := getInt(v, what, 8)
		return int8(i), err
	case descriptor.I16:
		i, err := getInt(v, what, 16)
		return int16(i), err
	case descriptor.I32:
		i, err := getInt(v, what, 32)
		return int32(i), err
	case descriptor.I64:
		return getInt(v, what, 64)
	case descriptor.DOUBLE:
		return getF64(v, what)
	case descriptor.STRING:
		return getStr(v, what)
	case descriptor.LIST, descriptor.SET:
		a, err := getArr(v, what)
		if err != nil {
			return nil, err
		}
		out := make([]interface{}, len(a))
		for i, x := range a {
			if out[i], err = toMapGeneric(x, t.Elem, what); err != nil {
				return nil, err
			}
		}
		return out, nil
	case descriptor.MAP:
		m, err := obj(v, what)
		if err != nil {
			return nil, err
		}
		out := make(map[interface{}]interface{}, len(m))
		for k, x := range m {
			key, err := keyFromString(k, t.Key, what)
			if err != nil {
				return nil, err
			}
			if out[key], err = toMapGeneric(x, t.Elem, what); err != nil {
				return nil, err
			}
		}
		return out, nil
	case descriptor.STRUCT:
		m, err := obj(v, what)
		if err != nil {
			return nil, err
		}
		out := make(map[string]interface{}, len(m))
		for k, x := range m {
			f := t.Struct.FieldsByName[k]
			if f == nil {
				return nil, fmt.Errorf("%s: unknown field %s", what, k)
			}
			if out[k], err = toMapGeneric(x, f.Type, what+"."+k); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s: unsupported type %s", what, t.Type)
}

func keyFromString(k string, t *descriptor.TypeDescriptor, what string) (any, error) {
	switch t.Type {
	case descriptor.STRING:
		return k, nil
	case descriptor.I08, descriptor.I16, descriptor.I32, descriptor.I64:
		i, err := strconv.ParseInt(k, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: key %q is no integer", what, k)
		}
		return toMapGeneric(json.Number(strconv.FormatInt(i, 10)), t, what)
	}
	return nil, fmt.Errorf("%s: unsupported map key type %s", what, t.Type)
}

// canonical converts what a Kitex generic client returns (map generic Go values,
// or JSON parsed with UseNumber) to canonical JSON: sets sorted, map keys as
// strings, integers as int64.
func canonical(v any, t *descriptor.TypeDescriptor, what string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch t.Type {
	case descriptor.BOOL:
		return getBool(v, what)
	case descriptor.I08, descriptor.I16, descriptor.I32, descriptor.I64:
		switch x := v.(type) {
		case int8:
			return int64(x), nil
		case int16:
			return int64(x), nil
		case int32:
			return int64(x), nil
		}
		return getI64(v, what)
	case descriptor.DOUBLE:
		return getF64(v, what)
	case descriptor.STRING:
		if b, ok := v.([]byte); ok {
			return string(b), nil
		}
		return getStr(v, what)
	case descriptor.LIST, descriptor.SET:
		a, err := getArr(v, what)
		if err != nil {
			return nil, err
		}
		out := make([]any, len(a))
		for i, x := range a {
			if out[i], err = canonical(x, t.Elem, what); err != nil {
				return nil, err
			}
		}
		if t.Type == descriptor.SET {
			sortJSON(out)
		}
		return out, nil
	case descriptor.MAP:
		out := map[string]any{}
		put := func(k, x any) error {
			var key string
			switch kk := k.(type) {
			case string:
				key = kk
			default:
				i, _, isInt, ok := number(canonicalInt(kk))
				if !ok || !isInt {
					return fmt.Errorf("%s: unsupported map key %v", what, k)
				}
				key = strconv.FormatInt(i, 10)
			}
			val, err := canonical(x, t.Elem, what)
			out[key] = val
			return err
		}
		switch m := v.(type) {
		case map[interface{}]interface{}:
			for k, x := range m {
				if err := put(k, x); err != nil {
					return nil, err
				}
			}
		case map[string]interface{}:
			for k, x := range m {
				if err := put(k, x); err != nil {
					return nil, err
				}
			}
		default:
			return nil, fmt.Errorf("%s: expected a map, got %T", what, v)
		}
		return out, nil
	case descriptor.STRUCT:
		m, ok := v.(map[string]interface{})
		if !ok {
			return nil, fmt.Errorf("%s: expected an object, got %T", what, v)
		}
		out := make(map[string]any, len(m))
		for k, x := range m {
			f := t.Struct.FieldsByName[k]
			if f == nil {
				out[k] = x // not in the IDL: shown as it came
				continue
			}
			val, err := canonical(x, f.Type, what+"."+k)
			if err != nil {
				return nil, err
			}
			out[k] = val
		}
		return out, nil
	case descriptor.VOID:
		return nil, nil
	}
	return nil, fmt.Errorf("%s: unsupported type %s", what, t.Type)
}

func canonicalInt(v any) any {
	switch x := v.(type) {
	case int8:
		return int64(x)
	case int16:
		return int64(x)
	case int32:
		return int64(x)
	}
	return v
}

// sortJSON sorts set members: strings by code point, numbers by value.
func sortJSON(a []any) {
	sort.SliceStable(a, func(i, j int) bool {
		if x, ok := a[i].(string); ok {
			y, ok := a[j].(string)
			return ok && x < y
		}
		_, x, _, ok1 := number(a[i])
		_, y, _, ok2 := number(a[j])
		return ok1 && ok2 && x < y
	})
}

// argType is the type and name of method's (first and only modelled) argument in
// Kitex's generic descriptor.
func argType(svc *descriptor.ServiceDescriptor, method string) (*descriptor.TypeDescriptor, string, error) {
	fn, err := svc.LookupFunctionByMethod(method)
	if err != nil {
		return nil, "", err
	}
	for _, f := range fn.Request.Struct.FieldsByID {
		return f.Type, f.Name, nil
	}
	return nil, "", fmt.Errorf("%s has no argument in the generic descriptor", method)
}

// successType is the type of method's success value in Kitex's generic descriptor.
func successType(svc *descriptor.ServiceDescriptor, method string) (*descriptor.TypeDescriptor, error) {
	fn, err := svc.LookupFunctionByMethod(method)
	if err != nil {
		return nil, err
	}
	f := fn.Response.Struct.FieldsByID[0]
	if f == nil {
		return nil, fmt.Errorf("%s has no success field", method)
	}
	return f.Type, nil
}
