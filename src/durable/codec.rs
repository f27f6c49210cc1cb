//! A conversation's row: how each field is written and read back. Absent
//! values are NULL (no bytes); lists are blobs of LEB128 varints; every
//! 64-bit number is stored bit for bit in SQLite's signed integer.

use std::collections::BTreeMap;
use std::sync::Arc;

use rusqlite::types::ValueRef;
use rusqlite::{CachedStatement, Connection, Row};

use crate::model::{AtInfo, Conv, ConvId, ConvType, LastMsg};
use crate::store::{ConvRow, Restored};

pub const UPSERT_CONV: &str = "INSERT OR REPLACE INTO conv
    (type, id, seq, pinned, marks, unread, max_seq, draft, custom, groups, last_text, last_time, at, points)
    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";

const SELECT_CONV: &str = "SELECT
    type, id, seq, pinned, marks, unread, max_seq, draft, custom, groups, last_text, last_time, at, points
    FROM conv";

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_varint(b: &mut &[u8]) -> Result<u64, String> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = b
            .split_first()
            .ok_or("a list ends in the middle of a number")?;
        *b = rest;
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err("a number in a list is longer than 64 bits".into())
}

/// Binds every column of `row`'s conversation to the upsert.
pub fn bind_conv(
    st: &mut CachedStatement<'_>,
    ty: ConvType,
    id: &ConvId,
    row: &ConvRow<'_>,
) -> rusqlite::Result<()> {
    let c = row.conv;
    st.raw_bind_parameter(1, ty as u8)?;
    st.raw_bind_parameter(2, id.as_bytes())?;
    st.raw_bind_parameter(3, c.seq() as i64)?;
    st.raw_bind_parameter(4, c.is_pinned())?;
    st.raw_bind_parameter(5, c.marks() as i64)?;
    st.raw_bind_parameter(6, c.unread() as i64)?;
    st.raw_bind_parameter(7, c.max_seq() as i64)?;
    st.raw_bind_parameter(8, c.draft())?;
    let custom = c.custom_data();
    st.raw_bind_parameter(9, (!custom.is_empty()).then_some(custom))?;
    let groups = (!c.groups().is_empty()).then(|| c.groups().join("\0"));
    st.raw_bind_parameter(10, groups.as_ref().map(String::as_bytes))?;
    let last = c.last_msg();
    st.raw_bind_parameter(11, last.map(|l| &*l.text))?;
    st.raw_bind_parameter(12, last.map(|l| l.time as i64))?;
    let at = (!c.at_info().is_empty()).then(|| {
        let mut b = Vec::with_capacity(c.at_info().len() * 3);
        for a in c.at_info() {
            put_varint(&mut b, a.seq);
            put_varint(&mut b, u64::from(a.at_type));
        }
        b
    });
    st.raw_bind_parameter(13, at)?;
    let points = row.points.filter(|p| !p.is_empty()).map(|p| {
        let mut b = Vec::with_capacity(p.len() * 2);
        let mut prev = 0;
        for (&point, &n) in p {
            put_varint(&mut b, point - prev);
            put_varint(&mut b, u64::from(n));
            prev = point;
        }
        b
    });
    st.raw_bind_parameter(14, points)?;
    Ok(())
}

/// Everything the database holds.
pub fn load(conn: &Connection) -> Result<Restored, String> {
    let db = |e: rusqlite::Error| e.to_string();
    let mut r = Restored::default();
    let mut st = conn
        .prepare("SELECT name, created FROM conv_group")
        .map_err(db)?;
    let mut rows = st.query([]).map_err(db)?;
    while let Some(row) = rows.next().map_err(db)? {
        let name: String = row.get(0).map_err(db)?;
        let created: i64 = row.get(1).map_err(db)?;
        r.groups.push((Arc::from(name), created as u64));
    }
    let mut st = conn
        .prepare("SELECT name, value FROM counter")
        .map_err(db)?;
    let mut rows = st.query([]).map_err(db)?;
    while let Some(row) = rows.next().map_err(db)? {
        let name: String = row.get(0).map_err(db)?;
        let value = row.get::<_, i64>(1).map_err(db)? as u64;
        match name.as_str() {
            "seq" => r.seq = value,
            "group_seq" => r.group_seq = value,
            _ => {}
        }
    }
    let mut st = conn
        .prepare("SELECT type, id, opt FROM recv_opt")
        .map_err(db)?;
    let mut rows = st.query([]).map_err(db)?;
    while let Some(row) = rows.next().map_err(db)? {
        let ty = conv_type(row.get(0).map_err(db)?)?;
        let id = id(row.get_ref(1).map_err(db)?)?;
        let opt: u8 = row.get(2).map_err(db)?;
        r.recv_opts.push((ty, id, opt));
    }
    let mut st = conn.prepare(SELECT_CONV).map_err(db)?;
    let mut rows = st.query([]).map_err(db)?;
    while let Some(row) = rows.next().map_err(db)? {
        r.convs
            .push(conv(row).map_err(|e| format!("a conversation's row: {e}"))?);
    }
    Ok(r)
}

fn conv_type(v: i64) -> Result<ConvType, String> {
    i32::try_from(v)
        .ok()
        .and_then(|v| ConvType::try_from(v).ok())
        .ok_or_else(|| format!("conversation type {v}"))
}

fn id(v: ValueRef<'_>) -> Result<ConvId, String> {
    let b = v.as_blob().map_err(|e| e.to_string())?;
    match std::str::from_utf8(b) {
        Ok(s) if !s.is_empty() => Ok(ConvId::new(s)),
        _ => Err("an id that is empty or not UTF-8".into()),
    }
}

/// Text that the ConvInfo writer copies as it is: it must be a JSON object.
fn json_object(v: ValueRef<'_>, what: &str) -> Result<Option<Box<str>>, String> {
    let Some(t) = opt_text(v)? else {
        return Ok(None);
    };
    let t = t.trim();
    if !t.starts_with('{') || serde_json::from_str::<serde::de::IgnoredAny>(t).is_err() {
        return Err(format!("{what} is not a JSON object"));
    }
    Ok(Some(t.into()))
}

fn opt_text(v: ValueRef<'_>) -> Result<Option<&str>, String> {
    match v {
        ValueRef::Null => Ok(None),
        ValueRef::Text(t) => std::str::from_utf8(t)
            .map(Some)
            .map_err(|_| "text that is not UTF-8".into()),
        _ => Err("a number or blob where text belongs".into()),
    }
}

fn opt_blob(v: ValueRef<'_>) -> Result<&[u8], String> {
    match v {
        ValueRef::Null => Ok(&[]),
        ValueRef::Blob(b) => Ok(b),
        _ => Err("a number or text where a list belongs".into()),
    }
}

fn conv(row: &Row<'_>) -> Result<(Conv, BTreeMap<u64, u32>), String> {
    let db = |e: rusqlite::Error| e.to_string();
    let int = |i: usize| row.get::<_, i64>(i).map(|v| v as u64).map_err(db);
    let at = |i: usize| row.get_ref(i).map_err(db);
    let ty = conv_type(int(0)? as i64)?;
    let mut c = Conv::new(ty, id(at(1)?)?, int(2)?);
    c.set_pinned(int(3)? != 0);
    c.set_marks(int(4)?);
    c.set_unread(int(5)?);
    c.set_max_seq(int(6)?);
    c.set_draft(json_object(at(7)?, "a draft")?);
    c.set_custom_data(opt_text(at(8)?)?.unwrap_or(""));
    let groups = opt_blob(at(9)?)?;
    if !groups.is_empty() {
        let names = std::str::from_utf8(groups).map_err(|_| "a group name is not UTF-8")?;
        c.set_groups(names.split('\0').map(Arc::from).collect());
    }
    if let Some(text) = json_object(at(10)?, "a last message")? {
        let time = row.get::<_, i64>(11).map_err(db)? as u64;
        c.set_last_msg(Some(Arc::new(LastMsg {
            text: Arc::from(text),
            time,
        })));
    }
    let mut b = opt_blob(at(12)?)?;
    let mut entries = Vec::new();
    while !b.is_empty() {
        let seq = get_varint(&mut b)?;
        let at_type = u8::try_from(get_varint(&mut b)?).map_err(|_| "an @ type out of range")?;
        entries.push(AtInfo { seq, at_type });
    }
    c.set_at_info(entries);
    let mut b = opt_blob(at(13)?)?;
    let mut points = BTreeMap::new();
    let mut point = 0u64;
    while !b.is_empty() {
        point = point
            .checked_add(get_varint(&mut b)?)
            .ok_or("an unread point out of range")?;
        let n = u32::try_from(get_varint(&mut b)?).map_err(|_| "an unread count out of range")?;
        if n == 0 || points.insert(point, n).is_some() {
            return Err("an unread point counted twice or not at all".into());
        }
    }
    Ok((c, points))
}
