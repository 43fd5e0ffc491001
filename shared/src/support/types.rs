//! The contract's enumerations, spelled as clients send and receive them: plain JSON strings
//! only (serde's derived `{"app": null}` object form is not the contract).

/// An enum whose JSON form is exactly one of its spellings, with `as_str`, `parse` and `ALL`.
#[macro_export]
macro_rules! plain_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        $vis enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.as_str() == text)
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                Self::parse(&text).ok_or_else(|| {
                    let all: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                    <D::Error as ::serde::de::Error>::custom(format!("must be one of: {}", all.join(", ")))
                })
            }
        }
    };
}

plain_enum! {
    pub enum ClientType {
        App = "app",
        Wechat = "wechat",
    }
}

plain_enum! {
    #[derive(Default)]
    pub enum BodyProfileStatus {
        #[default]
        Pending = "pending",
        Completed = "completed",
    }
}

plain_enum! {
    pub enum LoginMethod {
        Sms = "sms",
        Wechat = "wechat",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn enums_are_plain_strings_only() {
        assert_eq!(serde_json::from_value::<ClientType>(json!("app")).unwrap(), ClientType::App);
        assert_eq!(serde_json::to_value(ClientType::Wechat).unwrap(), json!("wechat"));
        assert!(serde_json::from_value::<ClientType>(json!({ "app": null })).is_err());
        let err = serde_json::from_value::<ClientType>(json!("web")).unwrap_err().to_string();
        assert_eq!(err, "must be one of: app, wechat");
    }
}
