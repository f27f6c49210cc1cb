// JSON helpers of the C++ test programs (jsoncpp), which never index a
// value of the wrong type (jsoncpp throws), and the "c2c_<id>" /
// "group_<id>" keys of ConvInfo objects. Include it inside the program's
// anonymous namespace, after expect.h; every function is inline, so a
// program may use any part of them.
#ifndef IMSDK_TESTS_JSON_CHECK_H_
#define IMSDK_TESTS_JSON_CHECK_H_

#include <json/json.h>

#include <TIMCloud.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

inline std::string Join(const std::vector<std::string>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
    return s + "]";
}

inline bool ParseStrict(const std::string& text, Json::Value* out) {
    Json::CharReaderBuilder builder;
    Json::Value settings;
    Json::CharReaderBuilder::strictMode(&settings);
    builder.settings_ = settings;
    std::unique_ptr<Json::CharReader> reader(builder.newCharReader());
    std::string errors;
    return reader->parse(text.data(), text.data() + text.size(), out, &errors);
}

inline Json::Value ParseArray(const std::string& text, const std::string& what) {
    Json::Value v;
    bool ok = ParseStrict(text, &v) && v.isArray();
    EXPECT(ok, what + ": a JSON array, got " + text.substr(0, 300));
    return ok ? v : Json::Value(Json::arrayValue);
}

inline Json::Value ParseObject(const std::string& text, const std::string& what) {
    Json::Value v;
    bool ok = ParseStrict(text, &v) && v.isObject();
    EXPECT(ok, what + ": a JSON object, got " + text.substr(0, 300));
    return ok ? v : Json::Value(Json::objectValue);
}

inline const Json::Value& Get(const Json::Value& v, const char* key) {
    static const Json::Value kNull;
    return v.isObject() ? v[key] : kNull;
}

inline const Json::Value& At(const Json::Value& v, size_t i) {
    static const Json::Value kNull;
    return v.isArray() && i < v.size() ? v[Json::ArrayIndex(i)] : kNull;
}

inline Json::UInt64 U64(const Json::Value& v) { return v.isUInt64() ? v.asUInt64() : 0; }
inline bool IsTrue(const Json::Value& v) { return v.isBool() && v.asBool(); }
inline bool IsFalse(const Json::Value& v) { return v.isBool() && !v.asBool(); }
inline std::string Text(const Json::Value& v) { return v.isString() ? v.asString() : "<not a string>"; }

inline std::string KeyOf(TIMConvType type, const std::string& id) {
    return (type == kTIMConv_C2C ? "c2c_" : "group_") + id;
}

// "c2c_<id>" / "group_<id>" of a ConvInfo.
inline std::string Key(const Json::Value& c) {
    const Json::Value& t = Get(c, kTIMConvType);
    std::string prefix = !t.isInt() ? "?_" : t.asInt() == kTIMConv_C2C ? "c2c_" : t.asInt() == kTIMConv_Group ? "group_" : "?_";
    return prefix + Text(Get(c, kTIMConvId));
}

inline std::vector<std::string> Keys(const Json::Value& arr) {
    std::vector<std::string> keys;
    for (size_t i = 0; arr.isArray() && i < arr.size(); ++i) keys.push_back(Key(At(arr, i)));
    return keys;
}

inline std::vector<std::string> Sorted(std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
}

inline const Json::Value& ByKey(const Json::Value& arr, const std::string& key) {
    static const Json::Value kNull;
    for (size_t i = 0; arr.isArray() && i < arr.size(); ++i)
        if (Key(At(arr, i)) == key) return At(arr, i);
    return kNull;
}

#endif  // IMSDK_TESTS_JSON_CHECK_H_
