//! The `page`/`page_size` window of the list reads.

use shared::{ApiError, ApiResult, Call};

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
        let page = call.query_int("page", 1, MAX_WINDOW)?;
        let size = call.query_int("page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)?;
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
