//! A property test of message-fed unread state: random imports, read
//! reports, cleans, mark-all-read, history clears, receive options,
//! deletions and filter subscriptions, against a reference model. After
//! every step, every conversation's unread count, the total and every
//! subscribed filter's count equal the model's, and the two unread-count
//! callbacks fired exactly when their number changed, with the new number.

mod common;

use std::collections::BTreeMap;
use std::ffi::c_int;

use common::log::*;
use common::*;
use serde_json::Value;
use ImSDK::ffi::message::*;

type Key = (c_int, String);

#[derive(Default, Clone)]
struct ModelConv {
    /// The unread messages' points (C2C: time; group: sequence).
    points: Vec<u64>,
    max_seq: u64,
}

/// The filters the test subscribes, and what each selects. (No
/// conversation here is in a group or has @ entries: the last two select
/// all, counted by a walk rather than a kept total.)
const FILTERS: [&str; 7] = [
    "{}",
    r#"{"conversation_list_filter_conv_type":1}"#,
    r#"{"conversation_list_filter_conv_type":2}"#,
    r#"{"conversation_list_filter_has_unread_count":true}"#,
    r#"{"conversation_list_filter_has_unread_count":false}"#,
    r#"{"conversation_list_filter_conversation_group":"","conversation_list_filter_conv_type":2}"#,
    r#"{"conversation_list_filter_has_group_at_info":false}"#,
];

fn selects(filter: usize, ty: c_int, unread: usize) -> bool {
    match filter {
        0 | 6 => true,
        1 => ty == C2C,
        2 | 5 => ty == GROUP,
        3 => unread > 0,
        _ => unread == 0,
    }
}

#[derive(Default)]
struct Model {
    convs: BTreeMap<Key, ModelConv>,
    opts: BTreeMap<Key, c_int>,
    asked: bool,
    /// Subscribed filters, in subscription order.
    subs: Vec<usize>,
}

impl Model {
    fn muted(&self, k: &Key) -> bool {
        matches!(self.opts.get(k), Some(1..=3))
    }

    fn count(&self, filter: usize) -> i64 {
        self.convs
            .iter()
            .filter(|(k, c)| selects(filter, k.0, c.points.len()) && !self.muted(k))
            .map(|(_, c)| c.points.len() as i64)
            .sum()
    }

    fn total(&self) -> i64 {
        self.count(0)
    }

    fn read(&mut self, k: &Key, upto: Option<u64>) {
        if let Some(c) = self.convs.get_mut(k) {
            match upto {
                Some(p) => c.points.retain(|&x| x > p),
                None => c.points.clear(),
            }
        }
    }

    /// The callbacks a change from `before` (total, filter counts) to now
    /// must fire.
    /// (A filter subscribed by this step fires nothing.)
    fn expected(&self, before: &(i64, Vec<(usize, i64)>)) -> Vec<Entry> {
        let mut e = Vec::new();
        if self.asked && self.total() != before.0 {
            e.push(Entry::Total(self.total() as i32));
        }
        for f in &self.subs {
            let Some((_, b)) = before.1.iter().find(|(x, _)| x == f) else {
                continue;
            };
            if self.count(*f) != *b {
                e.push(Entry::Filter(FILTERS[*f].to_owned(), self.count(*f) as i32));
            }
        }
        e
    }

    fn snapshot(&self) -> (i64, Vec<(usize, i64)>) {
        let subs = self.subs.iter().map(|f| (*f, self.count(*f))).collect();
        (self.total(), subs)
    }
}

/// xorshift: reproducible from the seed printed on failure.
struct Rng(u64);

impl Rng {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next(100) < percent
    }
}

const C2C_IDS: [&str; 5] = ["u0", "u1", "u2", "u3", "u4"];
const GROUP_IDS: [&str; 4] = ["g0", "g1", "g2", "g3"];

fn pick(r: &mut Rng) -> Key {
    if r.chance(55) {
        (C2C, C2C_IDS[r.next(5) as usize].to_owned())
    } else {
        (GROUP, GROUP_IDS[r.next(4) as usize].to_owned())
    }
}

fn msg_json(extra: &str) -> String {
    format!(r#"{{"message_elem_array":[{{"elem_type":0,"text_elem_content":"m"}}]{extra}}}"#)
}

fn opt_ptr(s: &Option<std::ffi::CString>) -> *const std::ffi::c_char {
    s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr())
}

/// Runs one random step on the library and the model; returns what the
/// library delivered.
fn step(r: &mut Rng, m: &mut Model) -> (String, Out) {
    let k = pick(r);
    let (ty, id) = (k.0, k.1.clone());
    let cid = cs(&id);
    match r.next(100) {
        // Import 1 to 4 messages.
        0..=39 => {
            let n = 1 + r.next(4);
            let conv = m.convs.entry(k.clone()).or_default();
            let mut items = Vec::new();
            for _ in 0..n {
                let mut extra = String::new();
                let point = if ty == C2C {
                    let t = 1 + r.next(40);
                    extra += &format!(r#","message_client_time":{t}"#);
                    t
                } else if r.chance(80) {
                    let s = 1 + r.next(40);
                    extra += &format!(r#","message_seq":{s}"#);
                    conv.max_seq = conv.max_seq.max(s);
                    s
                } else {
                    conv.max_seq += 1;
                    conv.max_seq
                };
                let (own, read, excluded) = (r.chance(15), r.chance(15), r.chance(10));
                if own {
                    extra += r#","message_is_from_self":true"#;
                }
                if read {
                    extra += r#","message_is_read":true"#;
                }
                if excluded {
                    extra += r#","message_is_excluded_from_unread_count":true"#;
                }
                if !(own || read || excluded) {
                    conv.points.push(point);
                }
                items.push(msg_json(&extra));
            }
            let a = cs(&format!("[{}]", items.join(",")));
            let what = format!("import {k:?} {items:?}");
            let out = call(&what, |cb, ud| unsafe {
                TIMMsgImportMsgList(cid.as_ptr(), ty, a.as_ptr(), cb, ud)
            });
            (what, out)
        }
        // A read report: one conversation up to a point, or a whole type.
        40..=54 => {
            let whole_type = r.chance(20);
            let point = 1 + r.next(40);
            let with_msg = r.chance(70);
            let text = if ty == C2C {
                msg_json(&format!(r#","message_client_time":{point}"#))
            } else {
                msg_json(&format!(r#","message_seq":{point}"#))
            };
            let what = format!("report {k:?} whole_type={whole_type} msg={with_msg} point={point}");
            if whole_type {
                let keys: Vec<Key> = m.convs.keys().filter(|x| x.0 == ty).cloned().collect();
                for x in keys {
                    m.read(&x, None);
                }
            } else if m.convs.contains_key(&k) {
                m.read(&k, with_msg.then_some(point));
            }
            let idp = (!whole_type).then(|| cs(&id));
            let mp = with_msg.then(|| cs(&text));
            let out = call(&what, |cb, ud| unsafe {
                TIMMsgReportReaded(opt_ptr(&idp), ty, opt_ptr(&mp), cb, ud)
            });
            (what, out)
        }
        // A clean: one conversation, a type or everything.
        55..=64 => {
            let (ts, sq) = (r.next(41), r.next(41));
            let scope = r.next(4);
            let given = match scope {
                0 => conv_key_id(ty, &id),
                1 => "c2c".to_owned(),
                2 => "group".to_owned(),
                _ => String::new(),
            };
            let keys: Vec<Key> = m
                .convs
                .keys()
                .filter(|x| match scope {
                    0 => **x == k,
                    1 => x.0 == C2C,
                    2 => x.0 == GROUP,
                    _ => true,
                })
                .cloned()
                .collect();
            for x in keys {
                let p = if x.0 == C2C { ts } else { sq };
                m.read(&x, (p != 0).then_some(p));
            }
            let what = format!("clean {given:?} {ts} {sq}");
            let g = cs(&given);
            let out = call(&what, |cb, ud| unsafe {
                TIMConvCleanConversationUnreadMessageCount(g.as_ptr(), ts, sq, cb, ud)
            });
            (what, out)
        }
        65..=67 => {
            let keys: Vec<Key> = m.convs.keys().cloned().collect();
            for x in keys {
                m.read(&x, None);
            }
            let out = call("mark all", |cb, ud| unsafe {
                TIMMsgMarkAllMessageAsRead(cb, ud)
            });
            ("mark all".to_owned(), out)
        }
        68..=71 => {
            m.read(&k, None);
            let what = format!("clear history {k:?}");
            let out = call(&what, |cb, ud| unsafe {
                TIMMsgClearHistoryMessage(cid.as_ptr(), ty, cb, ud)
            });
            (what, out)
        }
        // A receive option.
        72..=83 => {
            let opt = r.next(5) as c_int;
            m.opts.insert(k.clone(), opt);
            let what = format!("opt {k:?} {opt}");
            let out = if ty == C2C {
                let ids = cs(&json_strings(&[&id]));
                call(&what, |cb, ud| unsafe {
                    TIMMsgSetC2CReceiveMessageOpt(ids.as_ptr(), opt, cb, ud)
                })
            } else {
                call(&what, |cb, ud| unsafe {
                    TIMMsgSetGroupReceiveMessageOpt(cid.as_ptr(), opt, cb, ud)
                })
            };
            (what, out)
        }
        84..=91 => {
            m.convs.remove(&k);
            let what = format!("delete {k:?}");
            let out = call(&what, |cb, ud| unsafe {
                TIMConvDelete(cid.as_ptr(), ty, cb, ud)
            });
            (what, out)
        }
        // Subscribe or unsubscribe a filter (both synchronous, silent).
        92..=97 => {
            let f = r.next(FILTERS.len() as u64) as usize;
            let text = cs(FILTERS[f]);
            let on = r.chance(70);
            if on && !m.subs.contains(&f) {
                m.subs.push(f);
            }
            if !on {
                m.subs.retain(|x| *x != f);
            }
            let (rc, log) = sync_call(|| unsafe {
                if on {
                    TIMConvSubscribeUnreadMessageCountByFilter(text.as_ptr())
                } else {
                    TIMConvUnsubscribeUnreadMessageCountByFilter(text.as_ptr())
                }
            });
            assert_eq!((rc, log), (SUCC, vec![]), "(un)subscribe {f}");
            // A harmless call to return an Out.
            let out = call("groups", |cb, ud| unsafe {
                TIMConvGetConversationGroupList(cb, ud)
            });
            (format!("subscribe {f} {on}"), out)
        }
        _ => {
            m.asked = true;
            let out = call("total", |cb, ud| unsafe {
                TIMConvGetTotalUnreadMessageCount(cb, ud)
            });
            let got = out.reply().value()
                ["conv_get_total_unread_message_count_result_unread_count"]
                .as_i64();
            assert_eq!(got, Some(m.total()), "the total");
            ("total".to_owned(), out)
        }
    }
}

fn check_state(m: &Model, what: &str) {
    let listed: BTreeMap<Key, u64> = list()
        .iter()
        .map(|v: &Value| {
            (
                (
                    v["conv_type"].as_i64().unwrap() as c_int,
                    v["conv_id"].as_str().unwrap().to_owned(),
                ),
                v["conv_unread_num"].as_u64().unwrap(),
            )
        })
        .collect();
    let want: BTreeMap<Key, u64> = m
        .convs
        .iter()
        .map(|(k, c)| (k.clone(), c.points.len() as u64))
        .collect();
    assert_eq!(listed, want, "after {what}: unread per conversation");
    for (f, text) in FILTERS.iter().enumerate() {
        let t = cs(text);
        let out = call("by filter", |cb, ud| unsafe {
            TIMConvGetUnreadMessageCountByFilter(t.as_ptr(), cb, ud)
        });
        let got =
            out.reply().value()["conv_get_total_unread_message_count_result_unread_count"].as_i64();
        assert_eq!(got, Some(m.count(f)), "after {what}: filter {text}");
    }
}

#[test]
fn random_message_traffic_matches_the_model_and_callbacks_fire_exactly_on_change() {
    let _s = serial();
    let seeds: u64 = std::env::var("UNREAD_MODEL_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(6);
    let (mut fired, mut steps) = (0, 0);
    for seed in 1..=seeds {
        unsafe { ImSDK::ffi::manager::TIMUninit() };
        listen();
        let mut r = Rng(0x9E37_79B9_7F4A_7C15 ^ seed.wrapping_mul(0x2545_F491_4F6C_DD1D));
        let mut m = Model::default();
        for i in 0..250 {
            let before = m.snapshot();
            let (what, out) = step(&mut r, &mut m);
            let what = format!("seed {seed} step {i}: {what}");
            let code = out.reply().code;
            assert!(code == 0 || code == 6004, "{what}: code {code}");
            assert_eq!(
                out.counts(),
                m.expected(&before),
                "{what}: unread callbacks"
            );
            fired += out.counts().len();
            steps += 1;
            if i % 5 == 4 {
                check_state(&m, &what);
            }
        }
        check_state(&m, &format!("seed {seed} end"));
    }
    // The traffic must exercise the callbacks.
    assert!(fired > steps / 4, "{fired} callbacks in {steps} steps");
}
