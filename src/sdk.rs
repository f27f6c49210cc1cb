//! The running SDK: the store behind its lock, and the callback worker.
//! Every conversation function of the C API lands on one method here.
//!
//! Each method checks what needs the store, applies the change, and queues
//! the change's events and then its reply, all under the store's lock, so
//! callbacks arrive in the order changes took effect (events first).

use std::sync::{Arc, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;

use crate::dispatch::{failed, ok, Body, Dispatcher};
use crate::error::Result;
use crate::fault::{self, Point};
use crate::ffi::callback::{ConvEventListener, Reply};
use crate::ffi::conversation::TIMConvEvent;
use crate::model::draft::parse_draft;
use crate::model::{Conv, ConvType};
use crate::store::{Created, Store};

pub struct Sdk {
    store: Mutex<Store>,
    dispatcher: Dispatcher,
}

/// The embedded default (contract C3.1): an in-memory store, served from the
/// first call on, with no set-up.
pub fn sdk() -> &'static Sdk {
    static SDK: OnceLock<Sdk> = OnceLock::new();
    SDK.get_or_init(Sdk::new)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Sdk {
    fn new() -> Sdk {
        Sdk {
            store: Mutex::new(Store::new()),
            dispatcher: Dispatcher::start(),
        }
    }

    pub fn set_conv_event_listener(&self, l: Option<ConvEventListener>) {
        self.dispatcher.set_conv_event_listener(l);
    }

    pub fn conv_create(&self, ty: ConvType, id: &str, reply: Option<Reply>) -> Result<()> {
        fault::hit(Point::Store);
        let mut store = self.store.lock();
        let (conv, event) = match store.create(ty, id)? {
            Created::New(c) => (
                c.clone(),
                Some((TIMConvEvent::kTIMConvEvent_Add, Body::ConvArray1(c))),
            ),
            Created::Existing(c) => (c, None),
        };
        self.dispatcher.deliver(event, ok(reply, Body::Conv(conv)));
        Ok(())
    }

    pub fn conv_delete(&self, ty: ConvType, id: &str, reply: Option<Reply>) -> Result<()> {
        fault::hit(Point::Store);
        let mut store = self.store.lock();
        match store.delete(ty, id) {
            Ok(last) => self.dispatcher.deliver(
                Some((TIMConvEvent::kTIMConvEvent_Del, Body::ConvArray1(last))),
                ok(reply, Body::Empty),
            ),
            Err(e) => self.dispatcher.deliver(None, failed(reply, e)),
        }
        Ok(())
    }

    pub fn conv_list(&self, reply: Option<Reply>) -> Result<()> {
        fault::hit(Point::Store);
        if reply.is_none() {
            return Ok(());
        }
        let store = self.store.lock();
        self.dispatcher.reply(reply, Body::List(store.snapshot()));
        Ok(())
    }

    pub fn conv_set_draft(&self, ty: ConvType, id: &str, draft_json: &str) -> Result<()> {
        // Parse before taking the lock: JSON errors come before "no such
        // conversation" (C4.1), and the parse holds nobody up.
        let draft = parse_draft(draft_json, unix_now())?;
        fault::hit(Point::Store);
        let mut store = self.store.lock();
        let conv = store.set_draft(ty, id, draft)?;
        self.updated(conv);
        Ok(())
    }

    pub fn conv_cancel_draft(&self, ty: ConvType, id: &str) -> Result<()> {
        fault::hit(Point::Store);
        let mut store = self.store.lock();
        if let Some(conv) = store.cancel_draft(ty, id)? {
            self.updated(conv);
        }
        Ok(())
    }

    /// Queues `kTIMConvEvent_Update` for one changed conversation.
    fn updated(&self, conv: Arc<Conv>) {
        let event = (TIMConvEvent::kTIMConvEvent_Update, Body::ConvArray1(conv));
        self.dispatcher.deliver(Some(event), None);
    }
}
