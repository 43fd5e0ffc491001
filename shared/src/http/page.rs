//! The `page`/`page_size` window of the list reads.

use crate::http::request::Call;
use crate::support::error::{ApiError, ApiResult};

pub const DEFAULT_PAGE_SIZE: u32 = 20;
pub const MAX_PAGE_SIZE: u32 = 50;
/// The deepest a list may be paged: DynamoDB has no offset, so a page is read from the start.
pub const MAX_WINDOW: u32 = 1000;

/// Which slice of a list a client asked for.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    page: u32,
    size: u32,
}

impl Page {
    pub fn of(call: &Call<'_>) -> ApiResult<Self> {
        Self::new(call.query_int("page", 1, MAX_WINDOW)?, call.query_int("page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)?)
    }

    /// `page` (from 1) of `size` items, within the deepest window a list may be paged.
    pub fn new(page: u32, size: u32) -> ApiResult<Self> {
        if page * size > MAX_WINDOW {
            return Err(ApiError::invalid("page", format!("page × page_size must be at most {MAX_WINDOW}")));
        }
        Ok(Self { page, size })
    }

    /// How many items, from the start, cover this page.
    pub fn end(&self) -> usize {
        (self.page * self.size) as usize
    }

    pub fn slice<T>(&self, items: Vec<T>) -> Vec<T> {
        items.into_iter().skip(((self.page - 1) * self.size) as usize).take(self.size as usize).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_its_slice_of_the_list_within_the_window() {
        let items: Vec<u32> = (1..=45).collect();
        assert_eq!(Page::new(1, 20).unwrap().slice(items.clone()), (1..=20).collect::<Vec<_>>());
        assert_eq!(Page::new(3, 20).unwrap().slice(items.clone()), (41..=45).collect::<Vec<_>>());
        assert!(Page::new(4, 20).unwrap().slice(items).is_empty());
        assert_eq!(Page::new(2, 20).unwrap().end(), 40);
        assert_eq!(Page::new(20, 50).unwrap().end(), 1000);
        assert_eq!(Page::new(21, 50).unwrap_err().details["field"], "page");
    }
}
