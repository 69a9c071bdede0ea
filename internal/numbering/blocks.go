package numbering

import (
	"context"
	"sync"
)

// DefaultBlock is how many numbers Blocks draws at once for a kind it
// serves from a block.
const DefaultBlock = 32

// Blocks serves numbers from blocks drawn ahead of need: one round trip per
// block instead of one per command. Numbers stay unique across processes
// and are never reused; the price is order and density. Two instances hand
// out numbers from different blocks at once, so numbers are not in the
// order of issue across instances, and the rest of a block is skipped when
// the process stops.
//
// Invoice numbers are never served from a block: they are drawn one
// command at a time, so that invoices are numbered in the order they are
// issued with no more gaps than refused or failed commands leave, as
// invoicing rules expect of an invoice series. It is safe for concurrent
// use.
type Blocks struct {
	a    *Allocator
	size int
	mu   sync.Mutex
	next map[Kind][]string
	orgs []int64
}

// NewBlocks serves the numbers of a from blocks of size numbers
// (DefaultBlock when size < 1).
func NewBlocks(a *Allocator, size int) *Blocks {
	if size < 1 {
		size = DefaultBlock
	}
	return &Blocks{a: a, size: size, next: map[Kind][]string{}}
}

// Blocked reports whether numbers of kind k are served from blocks.
func Blocked(k Kind) bool { return k != Invoice }

// Next returns n numbers of kind k, from the kind's block when it holds
// enough; otherwise it draws them with a new block in one round trip.
func (b *Blocks) Next(ctx context.Context, k Kind, n int) ([]string, error) {
	if !Blocked(k) {
		return b.a.Next(ctx, k, n)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	have := b.next[k]
	if len(have) < n {
		// What is left of the block is skipped rather than mixed with the
		// new one: a command's numbers come from one draw.
		drawn, err := b.a.Next(ctx, k, n+b.size)
		if err != nil {
			return nil, err
		}
		have = drawn
	}
	out := have[:n:n]
	b.next[k] = have[n:]
	return out, nil
}

// NextOrgID returns a new organisation ID from the block of organisation
// numbers.
func (b *Blocks) NextOrgID(ctx context.Context) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.orgs) == 0 {
		nums, err := b.a.nextOrgNumbers(ctx, b.size)
		if err != nil {
			return "", err
		}
		b.orgs = nums
	}
	n := b.orgs[0]
	b.orgs = b.orgs[1:]
	return OrgID(n)
}
