//! The global listener slots. They belong to the process, not to any one
//! callback worker: an app sets its listeners before `TIMInit` and they stay
//! through `TIMInit`, `TIMLogin`, `TIMLogout` and `TIMUninit`.

use parking_lot::Mutex;

use crate::sink::{
    ConvEventSink, FilterUnreadSink, GroupConvsSink, GroupRemovedSink, GroupRenameSink, GroupSink,
    LogSink, NetworkSink, RawListener, TotalUnreadSink,
};
use crate::slot::Slot;

pub struct Listeners {
    /// `TIMSetConvEventCallback`.
    pub conv_event: Slot<ConvEventSink>,
    /// `TIMSetNetworkStatusListenerCallback`.
    pub network: Slot<NetworkSink>,
    /// `TIMSetLogCallback`.
    pub log: Slot<LogSink>,
    /// `TIMSetConvConversationGroupCreatedCallback`.
    pub group_created: Slot<GroupConvsSink>,
    /// `TIMSetConvConversationGroupDeletedCallback`.
    pub group_deleted: Slot<GroupSink>,
    /// `TIMSetConvConversationGroupNameChangedCallback`.
    pub group_renamed: Slot<GroupRenameSink>,
    /// `TIMSetConvConversationsAddedToGroupCallback`.
    pub added_to_group: Slot<GroupConvsSink>,
    /// `TIMSetConvConversationsDeletedFromGroupCallback`.
    pub removed_from_group: Slot<GroupRemovedSink>,
    /// `TIMSetConvTotalUnreadMessageCountChangedCallback`.
    pub total_unread: Slot<TotalUnreadSink>,
    /// `TIMSetConvUnreadMessageCountChangedByFilterCallback`.
    pub filter_unread: Slot<FilterUnreadSink>,
    /// Every other `TIMSet…Callback`, by function name: kept, never called.
    raw: Mutex<Vec<(&'static str, RawListener)>>,
    /// `TIMAdd…Callback` / `TIMRemove…Callback` lists, by the name they
    /// share (`RecvNewMsgCallback`): kept, never called.
    lists: Mutex<Vec<(&'static str, Vec<RawListener>)>>,
}

pub static LISTENERS: Listeners = Listeners {
    conv_event: Slot::new(),
    network: Slot::new(),
    log: Slot::new(),
    group_created: Slot::new(),
    group_deleted: Slot::new(),
    group_renamed: Slot::new(),
    added_to_group: Slot::new(),
    removed_from_group: Slot::new(),
    total_unread: Slot::new(),
    filter_unread: Slot::new(),
    raw: Mutex::new(Vec::new()),
    lists: Mutex::new(Vec::new()),
};

impl Listeners {
    /// A `TIMSet…Callback` this library never calls: a later call replaces,
    /// NULL clears.
    pub fn set_raw(&self, name: &'static str, l: Option<RawListener>) {
        let mut raw = self.raw.lock();
        raw.retain(|(n, _)| *n != name);
        if let Some(l) = l {
            raw.push((name, l));
        }
    }

    /// What [`Listeners::set_raw`] keeps for `name`.
    pub fn raw(&self, name: &str) -> Option<RawListener> {
        self.raw
            .lock()
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, l)| *l)
    }

    /// `TIMAdd…Callback`: adds `l` to the list `family`; a function already
    /// in it stays once, with the newer `user_data`.
    pub fn add(&self, family: &'static str, l: RawListener) {
        let mut lists = self.lists.lock();
        let list = match lists.iter_mut().position(|(n, _)| *n == family) {
            Some(i) => &mut lists[i].1,
            None => {
                lists.push((family, Vec::new()));
                &mut lists.last_mut().expect("just pushed").1
            }
        };
        match list.iter_mut().find(|x| x.f == l.f) {
            Some(x) => x.user_data = l.user_data,
            None => list.push(l),
        }
    }

    /// `TIMRemove…Callback`: removes the function `f` from the list
    /// `family`; a function not in it changes nothing.
    pub fn remove(&self, family: &str, f: usize) {
        if let Some((_, list)) = self.lists.lock().iter_mut().find(|(n, _)| *n == family) {
            list.retain(|x| x.f != f);
        }
    }

    /// The list `family`, in the order added.
    pub fn list(&self, family: &str) -> Vec<RawListener> {
        self.lists
            .lock()
            .iter()
            .find(|(n, _)| *n == family)
            .map(|(_, l)| l.clone())
            .unwrap_or_default()
    }
}
