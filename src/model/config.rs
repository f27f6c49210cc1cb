//! The JSON objects of the lifecycle functions: `TIMInit`'s SdkConfig,
//! `TIMSetConfig`'s SetConfig and `callExperimentalAPI`'s request. Typed
//! serde inputs: unknown keys are tolerated, a known key of the wrong type is
//! `InvalidJson`.

use serde::Deserialize;

use crate::error::{Error, Result};

/// `TIMInit`'s `json_sdk_config`. With `sdk_config_config_file_path`, each
/// user's conversations are kept durably under that folder; the log path is
/// accepted and unused (log lines go to the log listener).
/// `sdk_config_storage_full_sync` is this library's own key: `true` makes
/// every commit also survive a power loss (`synchronous=FULL`).
#[derive(Deserialize, Default, Debug)]
pub struct SdkConfig {
    pub sdk_config_config_file_path: Option<String>,
    pub sdk_config_log_file_path: Option<String>,
    pub sdk_config_storage_full_sync: Option<bool>,
}

/// `TIMSetConfig`'s `json_config`: only the callback log level has an
/// effect here.
#[derive(Deserialize, Default, Debug)]
pub struct SetConfig {
    pub set_config_log_level: Option<u8>,
    pub set_config_callback_log_level: Option<u8>,
    pub set_config_is_log_output_console: Option<bool>,
}

/// `callExperimentalAPI`'s `json_param`.
#[derive(Deserialize, Debug)]
pub struct ExperimentalRequest {
    pub request_internal_operation: String,
}

/// Parses a JSON object of type `T`.
pub fn parse_object<'a, T: Deserialize<'a>>(json: &'a str) -> Result<T> {
    if !json.trim_start().starts_with('{') {
        return Err(Error::InvalidJson);
    }
    serde_json::from_str(json).map_err(|_| Error::InvalidJson)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_of_the_right_types_parse_and_unknown_keys_are_tolerated() {
        let c: SdkConfig =
            parse_object(r#"{"sdk_config_config_file_path":"/tmp/x","other":[1,{}]}"#).unwrap();
        assert_eq!(c.sdk_config_config_file_path.as_deref(), Some("/tmp/x"));
        let s: SetConfig = parse_object(r#"{"set_config_callback_log_level":6}"#).unwrap();
        assert_eq!(s.set_config_callback_log_level, Some(6));
    }

    #[test]
    fn wrong_shapes_and_types_are_invalid_json() {
        for bad in [
            "",
            "[]",
            "1",
            "{",
            r#"{"sdk_config_config_file_path":1}"#,
            "{\"a\":1}x",
        ] {
            assert_eq!(
                parse_object::<SdkConfig>(bad).unwrap_err(),
                Error::InvalidJson,
                "{bad}"
            );
        }
        assert!(parse_object::<SetConfig>(r#"{"set_config_callback_log_level":-1}"#).is_err());
        assert!(parse_object::<ExperimentalRequest>("{}").is_err());
    }
}
