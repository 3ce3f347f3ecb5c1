package phrase

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"

	"github.com/sofort-chat/sofort/index/analyze"
)

// Format: magic, version, then length-prefixed sections, all little
// endian, then the SHA-256 of everything before it. The checksum doubles
// as the model's fingerprint.
const (
	magic         = "sofort-phrase\n"
	formatVersion = 1
)

// ErrFormat is returned (wrapped) by Read for data that is not a model
// this version wrote, or that is damaged.
var ErrFormat = errors.New("phrase: bad model data")

// Fingerprint identifies the model's options, documents and weights: two
// models with the same fingerprint score alike (given the same analyzer).
func (m *Model) Fingerprint() string { return m.fingerprint }

func (m *Model) computeFingerprint() string {
	sum := sha256.Sum256(m.body())
	return hex.EncodeToString(sum[:8])
}

func (m *Model) body() []byte {
	var buf bytes.Buffer
	buf.WriteString(magic)
	le := binary.LittleEndian
	u32 := func(v uint32) { buf.Write(le.AppendUint32(nil, v)) }
	u32(formatVersion)
	opt, _ := json.Marshal(m.opt) // a struct of numbers cannot fail
	u32(uint32(len(opt)))
	buf.Write(opt)
	u32(uint32(len(m.docs)))
	for _, d := range m.docs {
		u32(uint32(len(d)))
		buf.WriteString(d)
	}
	u32(uint32(len(m.buckets)))
	for _, v := range m.buckets {
		u32(v)
	}
	for _, v := range m.idf {
		u32(math.Float32bits(v))
	}
	for _, v := range m.hot {
		u32(uint32(v))
	}
	u32(uint32(m.nHot))
	u32(uint32(len(m.hotW)))
	for _, v := range m.hotW {
		u32(math.Float32bits(v))
	}
	for _, v := range m.start {
		u32(uint32(v))
	}
	u32(uint32(len(m.w)))
	for _, v := range m.cls {
		u32(uint32(v))
	}
	for _, v := range m.w {
		u32(math.Float32bits(v))
	}
	return buf.Bytes()
}

// WriteTo writes the model; it returns the bytes written and the writer's
// error.
func (m *Model) WriteTo(w io.Writer) (int64, error) {
	b := m.body()
	sum := sha256.Sum256(b)
	n, err := w.Write(append(b, sum[:]...))
	if err != nil {
		return int64(n), fmt.Errorf("phrase: write model: %w", err)
	}
	return int64(n), nil
}

// Read loads a model written by WriteTo. an is the analyzer questions are
// scored with; nil builds the default one. It fails with ErrFormat for
// damaged or foreign data and with the reader's error.
func Read(r io.Reader, an *analyze.Analyzer) (*Model, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("phrase: read model: %w", err)
	}
	if len(data) < len(magic)+sha256.Size || string(data[:len(magic)]) != magic {
		return nil, fmt.Errorf("%w: no model header", ErrFormat)
	}
	body, sum := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrFormat)
	}
	d := decoder{b: body[len(magic):]}
	if v := d.u32("version"); d.err == nil && v != formatVersion {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrFormat, v, formatVersion)
	}
	m := &Model{}
	if opt := d.bytes("options"); d.err == nil {
		if err := json.Unmarshal(opt, &m.opt); err != nil {
			return nil, fmt.Errorf("%w: options: %v", ErrFormat, err)
		}
		if err := m.opt.validate(); err != nil {
			return nil, fmt.Errorf("%w: options: %v", ErrFormat, err)
		}
	}
	nDocs := d.count("documents", 4)
	for i := 0; i < nDocs && d.err == nil; i++ {
		m.docs = append(m.docs, string(d.bytes("document id")))
	}
	nRows := d.count("rows", 12)
	m.buckets = d.u32s("buckets", nRows)
	m.idf = d.f32s("idf", nRows)
	hot := d.u32s("hot rows", nRows)
	m.nHot = int(d.u32("hot row count"))
	m.hotW = d.f32s("hot weights", d.count("hot weights", 4))
	start := d.u32s("row starts", nRows+1)
	nW := d.count("weights", 8)
	cls := d.u32s("classes", nW)
	m.w = d.f32s("weights", nW)
	if d.err != nil {
		return nil, d.err
	}
	if len(d.b) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrFormat, len(d.b))
	}
	if !slices.IsSorted(m.docs) || !strictlySorted(m.buckets) {
		return nil, fmt.Errorf("%w: documents or buckets out of order", ErrFormat)
	}
	nHot := m.nHot
	switch {
	case nHot > nRows:
		return nil, fmt.Errorf("%w: %d hot rows of %d", ErrFormat, nHot, nRows)
	case len(m.hotW) != nHot*nDocs:
		return nil, fmt.Errorf("%w: %d hot weights for %d hot rows and %d documents", ErrFormat, len(m.hotW), nHot, nDocs)
	}
	m.hot = make([]int32, nRows)
	next := 0
	for i, h := range hot {
		m.hot[i] = int32(h)
		if m.hot[i] == -1 {
			continue
		}
		if int(h) != next {
			return nil, fmt.Errorf("%w: hot row %d numbered %d, want %d", ErrFormat, i, h, next)
		}
		next++
	}
	if next != nHot {
		return nil, fmt.Errorf("%w: %d hot rows, want %d", ErrFormat, next, nHot)
	}
	m.start = make([]int32, len(start))
	for i, s := range start {
		if s > uint32(nW) || i > 0 && s < start[i-1] || i == 0 && s != 0 {
			return nil, fmt.Errorf("%w: row start %d out of range", ErrFormat, i)
		}
		m.start[i] = int32(s)
	}
	if int(start[nRows]) != nW {
		return nil, fmt.Errorf("%w: rows cover %d of %d weights", ErrFormat, start[nRows], nW)
	}
	m.cls = make([]int32, nW)
	for i, c := range cls {
		if c >= uint32(nDocs) {
			return nil, fmt.Errorf("%w: weight %d names document %d of %d", ErrFormat, i, c, nDocs)
		}
		m.cls[i] = int32(c)
	}
	if an == nil {
		if an, err = analyze.New(); err != nil {
			return nil, fmt.Errorf("phrase: %w", err)
		}
	}
	m.an, m.fz = an, newFeaturizer(an, m.opt)
	m.fingerprint = hex.EncodeToString(sum[:8])
	return m, nil
}

func strictlySorted(xs []uint32) bool {
	for i := 1; i < len(xs); i++ {
		if xs[i] <= xs[i-1] {
			return false
		}
	}
	return true
}

// decoder reads sections, remembering the first error.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) take(what string, n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b) {
		d.err = fmt.Errorf("%w: %s truncated", ErrFormat, what)
		return nil
	}
	out := d.b[:n]
	d.b = d.b[n:]
	return out
}

func (d *decoder) u32(what string) uint32 {
	b := d.take(what, 4)
	if b == nil {
		return 0
	}
	return binary.LittleEndian.Uint32(b)
}

func (d *decoder) bytes(what string) []byte {
	return d.take(what, int(d.u32(what)))
}

// count reads a length and checks that the rest of the data can hold
// that many items of at least size bytes, so damaged data cannot make
// Read allocate without bound.
func (d *decoder) count(what string, size int) int {
	n := int(d.u32(what))
	if d.err == nil && n > len(d.b)/size+1 {
		d.err = fmt.Errorf("%w: %d %s exceed the data", ErrFormat, n, what)
		return 0
	}
	return n
}

func (d *decoder) u32s(what string, n int) []uint32 {
	b := d.take(what, 4*n)
	if b == nil {
		return nil
	}
	out := make([]uint32, n)
	for i := range out {
		out[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return out
}

func (d *decoder) f32s(what string, n int) []float32 {
	u := d.u32s(what, n)
	out := make([]float32, len(u))
	for i, v := range u {
		out[i] = math.Float32frombits(v)
	}
	return out
}
