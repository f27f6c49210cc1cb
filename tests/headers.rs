//! The committed headers in include/ must equal a fresh generation (build.rs
//! writes one into $OUT_DIR/include on every build).

use std::path::Path;

/// Every header: the vendor's 13 and `TIMCloudCallback.h`.
const HEADERS: &[&str] = &[
    "TIMCloud.h",
    "TIMCloudCallback.h",
    "TIMCloudComm.h",
    "TIMCloudDef.h",
    "TIMErrorCode.h",
    "TIMManager.h",
    "TIMConversationManager.h",
    "TIMMessageManager.h",
    "TIMGroupManager.h",
    "TIMCommunityManager.h",
    "TIMFriendshipManager.h",
    "TIMOfflinePushManager.h",
    "TIMSignalingManager.h",
    "TIMExperimentalAPI.h",
];

#[test]
fn include_holds_exactly_the_generated_headers() {
    for dir in [
        Path::new(env!("OUT_DIR")).join("include"),
        Path::new(env!("CARGO_MANIFEST_DIR")).join("include"),
    ] {
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        let mut want: Vec<String> = HEADERS.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(names, want, "{}", dir.display());
    }
}

/// The first differing lines of two texts, a few of them.
fn short_diff(committed: &str, fresh: &str) -> String {
    let (a, b): (Vec<_>, Vec<_>) = (committed.lines().collect(), fresh.lines().collect());
    let mut out = String::new();
    let mut shown = 0;
    for i in 0..a.len().max(b.len()) {
        let (x, y) = (a.get(i).copied(), b.get(i).copied());
        if x != y {
            out += &format!(
                "  line {}:\n    committed: {:?}\n    generated: {:?}\n",
                i + 1,
                x,
                y
            );
            shown += 1;
            if shown == 5 {
                out += "  ...\n";
                break;
            }
        }
    }
    out
}

#[test]
fn committed_headers_match_a_fresh_generation() {
    let fresh_dir = Path::new(env!("OUT_DIR")).join("include");
    let committed_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("include");
    let mut problems = String::new();
    for name in HEADERS {
        let fresh = std::fs::read_to_string(fresh_dir.join(name)).expect("generated header");
        match std::fs::read_to_string(committed_dir.join(name)) {
            Ok(committed) if committed == fresh => {}
            Ok(committed) => {
                problems += &format!("{name} differs:\n{}", short_diff(&committed, &fresh))
            }
            Err(_) => problems += &format!("{name} is missing from include/\n"),
        }
    }
    assert!(
        problems.is_empty(),
        "include/ is out of date:\n{problems}regenerate with: TIMSDK_UPDATE_HEADERS=1 cargo build"
    );
}

#[test]
fn every_key_is_defined_once_with_its_exact_string() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("include");
    let all: String = HEADERS
        .iter()
        .map(|h| std::fs::read_to_string(dir.join(h)).unwrap())
        .collect();
    let ours = ImSDK::model::keys::TABLE.iter().map(|k| (k.name, k.value));
    let vendor = ImSDK::ffi::table::KEYS.iter().map(|k| (k.name, k.value));
    let mut n = 0;
    for (name, value) in ours.chain(vendor) {
        let line = format!("#define {name} \"{value}\"\n");
        assert_eq!(all.matches(&line).count(), 1, "{line}");
        n += 1;
    }
    assert!(n > 800, "{n} keys");
    // An alias the vendor declares in two headers is in both, guarded.
    for a in ImSDK::ffi::table::ALIASES {
        let line = format!("#ifndef {0}\n#define {0} {1}\n#endif\n", a.name, a.target);
        let declared = ImSDK::ffi::table::ALIASES
            .iter()
            .filter(|b| b.name == a.name)
            .count();
        assert_eq!(all.matches(&line).count(), declared, "{line}");
    }
}
