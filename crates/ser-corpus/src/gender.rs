//! [`Gender`]: a speaker's gender as a corpus documents it. Emotion labels live in `ser-labels`
//! ([`crate::Emotion`] is re-exported from there).

use std::fmt;

use serde::{Deserialize, Serialize};

/// A speaker's gender as given by the corpus documentation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Gender {
    /// Male speaker.
    Male,
    /// Female speaker.
    Female,
}

impl Gender {
    /// `"male"` or `"female"`.
    pub fn name(self) -> &'static str {
        match self {
            Gender::Male => "male",
            Gender::Female => "female",
        }
    }
}

impl fmt::Display for Gender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
