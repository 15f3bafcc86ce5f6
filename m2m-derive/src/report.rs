//! How every phase reports a mistake: a message at the user's token, pushed
//! on darling's accumulator, so all of them are reported at once.

use darling::error::Accumulator;
use syn::spanned::Spanned;

/// `errors.report(&lit, "...")`: one mistake, blamed on `blame`.
pub(crate) trait Report {
    fn report<T: Spanned>(&mut self, blame: &T, message: impl std::fmt::Display);
}

impl Report for Accumulator {
    fn report<T: Spanned>(&mut self, blame: &T, message: impl std::fmt::Display) {
        self.push(darling::Error::custom(message).with_span(blame));
    }
}
