package web

import "sync"

// hub tells a conversation's open event streams that it has new messages.
// It carries no messages, only a wake-up: each stream then reads what
// follows its last event id from the store, so streams see every message
// exactly once and in id order however publishers race, a slow stream
// cannot make the hub buffer without bound, and the store stays the one
// source of truth (what a restart or reconnect replays is what a live
// stream shows).
type hub struct {
	mu     sync.Mutex
	subs   map[string]map[*subscription]struct{}
	done   chan struct{}
	closed bool
}

type subscription struct {
	// wake holds at most one pending signal; more coalesce into it.
	wake chan struct{}
}

func newHub() *hub {
	return &hub{subs: map[string]map[*subscription]struct{}{}, done: make(chan struct{})}
}

// subscribe registers a stream for convID. The returned function removes
// it.
func (h *hub) subscribe(convID string) (*subscription, func()) {
	sub := &subscription{wake: make(chan struct{}, 1)}
	h.mu.Lock()
	defer h.mu.Unlock()
	set := h.subs[convID]
	if set == nil {
		set = map[*subscription]struct{}{}
		h.subs[convID] = set
	}
	set[sub] = struct{}{}
	return sub, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		cur := h.subs[convID]
		delete(cur, sub)
		if len(cur) == 0 {
			delete(h.subs, convID)
		}
	}
}

// publish wakes convID's streams. It never blocks.
func (h *hub) publish(convID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for sub := range h.subs[convID] {
		select {
		case sub.wake <- struct{}{}:
		default: // a wake-up is pending already
		}
	}
}

// close ends every stream (graceful shutdown); browsers reconnect to the
// next server and replay from their last event id.
func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.closed {
		h.closed = true
		close(h.done)
	}
}

// count returns the number of subscribed streams.
func (h *hub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, set := range h.subs {
		n += len(set)
	}
	return n
}

// online reports whether convID has an open stream: the visitor has the
// chat open right now.
func (h *hub) online(convID string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs[convID]) > 0
}
