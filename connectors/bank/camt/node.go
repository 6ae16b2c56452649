package camt

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"strings"
)

// Limits on one element subtree (an Ntry, a Bal, an Acct): they keep a hostile
// file from exhausting memory while a real entry stays far below them.
const (
	maxDepth = 64
	maxNodes = 200_000
	maxText  = 64 << 20 // bytes of text

	keepScratch = 4 << 20 // scratch text kept between subtrees
)

var errTooLarge = errors.New("element too large")

// node is one XML element reduced to what the reader needs: its local name
// (namespaces ignored), its Ccy attribute, its trimmed text, its children and
// the line where its start tag begins.
type node struct {
	name string
	ccy  string
	text string
	kids []*node
	line int
}

// child returns the first child element named name, or nil.
func (n *node) child(name string) *node {
	if n == nil {
		return nil
	}

	for _, k := range n.kids {
		if k.name == name {
			return k
		}
	}

	return nil
}

// path follows a chain of child names and returns the element at its end, or nil.
func (n *node) path(names ...string) *node {
	for _, name := range names {
		n = n.child(name)
		if n == nil {
			return nil
		}
	}

	return n
}

// str returns the trimmed text of the element at path, or "".
func (n *node) str(names ...string) string {
	if m := n.path(names...); m != nil {
		return m.text
	}

	return ""
}

// all returns every child element named name, in document order.
func (n *node) all(name string) []*node {
	if n == nil {
		return nil
	}

	var out []*node
	for _, k := range n.kids {
		if k.name == name {
			out = append(out, k)
		}
	}

	return out
}

// leaves writes "path=text" for every element with text under n, in document
// order. It is the canonical content of an entry used when the bank gave it no
// reference to build a dedupe key from.
func (n *node) leaves(b *strings.Builder, prefix string) {
	p := prefix + "/" + n.name
	if n.ccy != "" {
		b.WriteString(p + "@Ccy=" + n.ccy + "\n")
	}

	if n.text != "" {
		b.WriteString(p + "=" + n.text + "\n")
	}

	for _, k := range n.kids {
		k.leaves(b, p)
	}
}

// tree reads the element that start opened on line, up to its end tag, into
// a node.
func (r *reader) tree(start *tok, line int) (*node, error) {
	root := r.newNode(start.name, start.attrs, line)
	stack := append(r.stack[:0], root)
	marks := append(r.marks[:0], 0) // where each open element's text starts in buf
	buf := r.buf[:0]
	out, pend := r.out[:0], r.pend[:0]
	count := 1

	for len(stack) > 0 {
		line := r.src.line()

		t, err := r.src.next()
		if err != nil {
			return nil, err
		}

		switch t.kind {
		case tokStart:
			count++
			if len(stack) >= maxDepth || count > maxNodes {
				return nil, fmt.Errorf("read %s: %w", root.name, errTooLarge)
			}

			k := r.newNode(t.name, t.attrs, line)
			top := stack[len(stack)-1]
			top.kids = append(top.kids, k)
			stack = append(stack, k)
			marks = append(marks, len(buf))
		case tokText:
			if len(out)+len(buf)+len(t.text) > maxText {
				return nil, fmt.Errorf("read %s: %w", root.name, errTooLarge)
			}

			buf = append(buf, t.text...)
		case tokEnd:
			top, mark := stack[len(stack)-1], marks[len(marks)-1]
			if text := bytes.TrimSpace(buf[mark:]); len(text) > 0 {
				pend = append(pend, pendText{n: top, start: len(out), end: len(out) + len(text)})
				out = append(out, text...)
			}

			buf = buf[:mark]
			stack = stack[:len(stack)-1]
			marks = marks[:len(marks)-1]
		}
	}

	// One string holds the texts of the whole subtree: a conversion per
	// element would cost an allocation each.
	all := string(out)
	for _, p := range pend {
		p.n.text = all[p.start:p.end]
	}

	clear(pend)
	r.buf, r.stack, r.marks, r.out, r.pend = buf, stack, marks, out, pend[:0]
	if cap(out) > keepScratch { // a giant entry does not pin its memory for the rest
		r.buf, r.out = nil, nil
	}

	return root, nil
}

// pendText is an element's text, at out[start:end] until the subtree is read.
type pendText struct {
	n          *node
	start, end int
}

// newNode returns a node carved from a block of nodes, which saves an
// allocation per element. Inside an arena (see reuseNodes) the blocks are
// reused, children lists included.
func (r *reader) newNode(name string, attrs []xml.Attr, line int) *node {
	var n *node
	if r.arena.on {
		n = r.arena.next()
		n.text, n.kids = "", n.kids[:0]
	} else {
		if len(r.slab) == 0 {
			r.slab = make([]node, 256)
		}

		n = &r.slab[0]
		r.slab = r.slab[1:]
	}

	n.name, n.ccy, n.line = name, ccyOf(attrs), line

	return n
}

// arena hands out nodes from blocks that are reused once the tree built from
// them is no longer referenced: an Ntry's tree lives only while it is read.
type arena struct {
	on     bool
	blocks [][]node
	block  int // current block
	used   int // nodes used in the current block
}

func (a *arena) next() *node {
	if a.used == len(a.blocks[a.block]) {
		a.block, a.used = a.block+1, 0
		if a.block == len(a.blocks) {
			a.blocks = append(a.blocks, make([]node, 256))
		}
	}

	a.used++

	return &a.blocks[a.block][a.used-1]
}

// reuseNodes makes the trees built until the returned function is called come
// from the arena; calling it releases them to be reused. The caller must keep
// no node of those trees.
func (r *reader) reuseNodes() func() {
	if len(r.arena.blocks) == 0 {
		r.arena.blocks = [][]node{make([]node, 256)}
	}

	r.arena.on, r.arena.block, r.arena.used = true, 0, 0

	return func() { r.arena.on = false }
}

func ccyOf(attrs []xml.Attr) string {
	for _, a := range attrs {
		if a.Name.Local == "Ccy" {
			return strings.TrimSpace(a.Value)
		}
	}

	return ""
}
