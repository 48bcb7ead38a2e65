package twelvelabs

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// PageIter walks a page-number paginated list (embed tasks, indexed
// assets, videos) item by item, fetching pages as needed, in the style of
// database/sql's Rows:
//
//	it := c.ListIndexedAssets(ctx, indexID, twelvelabs.ListAssetsParams{})
//	for it.Next() {
//		asset := it.Item()
//		...
//	}
//	if err := it.Err(); err != nil { ... }
//
// It stops after the page whose number reaches page_info.total_page, or
// at the first empty page (the official SDK's rule, and the only one when
// a response has no total_page). Like Rows, it keeps
// the context given to the List call and uses it for every page it
// fetches. Each page request is retried per the Client's [RetryPolicy].
//
// A PageIter is not safe for concurrent use.
type PageIter[T any] struct {
	ctx   context.Context
	fetch func(ctx context.Context, page int) ([]T, PageInfo, error)
	what  string

	next  int // page to fetch next
	items []T
	i     int
	info  PageInfo
	done  bool
	err   error
	cur   T
}

// newPageIter starts at page start (1 when start < 1).
func newPageIter[T any](ctx context.Context, what string, start int, fetch func(ctx context.Context, page int) ([]T, PageInfo, error)) *PageIter[T] {
	return &PageIter[T]{ctx: ctx, fetch: fetch, what: what, next: max(start, 1)}
}

// failedPageIter returns an iterator whose Next is false and whose Err is err.
func failedPageIter[T any](err error) *PageIter[T] {
	return &PageIter[T]{done: true, err: err}
}

// Next advances to the next item, fetching the next page when the
// current one is used up. It returns false at the end or on error (see
// Err).
func (it *PageIter[T]) Next() bool {
	for it.i >= len(it.items) {
		if it.done || it.err != nil {
			return false
		}
		if err := it.ctx.Err(); err != nil {
			it.err = fmt.Errorf("%s: page %d: %w", it.what, it.next, err)
			return false
		}
		page := it.next
		items, info, err := it.fetch(it.ctx, page)
		if err != nil {
			it.err = fmt.Errorf("%s: page %d: %w", it.what, page, err)
			return false
		}
		it.items, it.i, it.info = items, 0, info
		it.next = page + 1
		if len(items) == 0 || (info.TotalPage > 0 && page >= info.TotalPage) {
			it.done = true
		}
	}
	it.cur = it.items[it.i]
	it.i++
	return true
}

// Item returns the current item (valid after Next returned true).
func (it *PageIter[T]) Item() T { return it.cur }

// Err returns the error that stopped the iteration, or nil.
func (it *PageIter[T]) Err() error { return it.err }

// PageInfo returns the page_info of the page the current item came from.
func (it *PageIter[T]) PageInfo() PageInfo { return it.info }

// NextPage returns the page number that would be fetched next: record it
// to resume a walk later from the first page not yet fetched.
func (it *PageIter[T]) NextPage() int { return it.next }

// TokenIter walks a token-paginated list (search results) item by item:
// the first page comes from one request, the following ones from
// next_page_token until a page has none. Same Next/Item/Err contract and
// context rule as [PageIter]. Page tokens expire (see
// [ErrPageTokenExpired]); a walk cannot be resumed later.
//
// A TokenIter is not safe for concurrent use.
type TokenIter[T any] struct {
	ctx   context.Context
	first func(ctx context.Context) ([]T, string, error)
	next  func(ctx context.Context, token string) ([]T, string, error)
	what  string

	started bool
	token   string
	pages   int
	items   []T
	i       int
	done    bool
	err     error
	cur     T
}

// Next advances to the next item, fetching the next page when needed.
func (it *TokenIter[T]) Next() bool {
	for it.i >= len(it.items) {
		if it.done || it.err != nil {
			return false
		}
		if err := it.ctx.Err(); err != nil {
			it.err = fmt.Errorf("%s: page %d: %w", it.what, it.pages+1, err)
			return false
		}
		var items []T
		var token string
		var err error
		if !it.started {
			items, token, err = it.first(it.ctx)
		} else {
			items, token, err = it.next(it.ctx, it.token)
		}
		if err != nil {
			it.err = fmt.Errorf("%s: page %d: %w", it.what, it.pages+1, err)
			return false
		}
		it.started = true
		it.pages++
		it.items, it.i, it.token = items, 0, token
		if token == "" || len(items) == 0 {
			it.done = true
		}
	}
	it.cur = it.items[it.i]
	it.i++
	return true
}

// Item returns the current item (valid after Next returned true).
func (it *TokenIter[T]) Item() T { return it.cur }

// Err returns the error that stopped the iteration, or nil.
func (it *TokenIter[T]) Err() error { return it.err }

// Pages returns the number of pages fetched so far.
func (it *TokenIter[T]) Pages() int { return it.pages }

// listPages walks a page-numbered list endpoint (GET path with
// query(page), answering {"data": [...], "page_info": {...}}) from page
// start.
func listPages[T any](ctx context.Context, c *Client, op, path string, start int, query func(page int) url.Values) *PageIter[T] {
	return newPageIter(ctx, op, start, func(ctx context.Context, page int) ([]T, PageInfo, error) {
		var out struct {
			Data     []T      `json:"data"`
			PageInfo PageInfo `json:"page_info"`
		}
		_, err := c.doRetry(ctx, &call{op: op, method: http.MethodGet, path: path, query: query(page)}, &out)
		return out.Data, out.PageInfo, err
	})
}
