//! `TIMMessageManager.h`: message enums and JSON keys (the keys come from
//! `crate::model::keys`). No message functions yet.

/// The type of a message element.
#[repr(C)]
pub enum TIMElemType {
    kTIMElem_Text = 0,
    kTIMElem_Image = 1,
    kTIMElem_Sound = 2,
    kTIMElem_Custom = 3,
    kTIMElem_File = 4,
    kTIMElem_GroupTips = 5,
    kTIMElem_Face = 6,
    kTIMElem_Location = 7,
    kTIMElem_GroupReport = 8,
    kTIMElem_Video = 9,
    kTIMElem_FriendChange = 10,
    kTIMElem_ProfileChange = 11,
    kTIMElem_Merge = 12,
    kTIMElem_Invalid = -1,
}

/// The state of a message.
#[repr(C)]
pub enum TIMMsgStatus {
    kTIMMsg_Sending = 1,
    kTIMMsg_SendSucc = 2,
    kTIMMsg_SendFail = 3,
    kTIMMsg_Deleted = 4,
    kTIMMsg_LocalImported = 5,
    kTIMMsg_Revoked = 6,
    kTIMMsg_Cancel = 7,
}

/// The priority of a message.
#[repr(C)]
pub enum TIMMsgPriority {
    kTIMMsgPriority_High = 0,
    kTIMMsgPriority_Normal = 1,
    kTIMMsgPriority_Low = 2,
    kTIMMsgPriority_Lowest = 3,
}

/// The platform a message was sent from.
#[repr(C)]
pub enum TIMPlatform {
    kTIMPlatform_Other = 0,
    kTIMPlatform_Windows = 1,
    kTIMPlatform_Android = 2,
    kTIMPlatform_IOS = 3,
    kTIMPlatform_Mac = 4,
    kTIMPlatform_Simulator = 5,
}
