package nacha

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/moov-io/ach"
)

// moovRecord is what the moov-io/ach record types offer for one record.
type moovRecord interface {
	Parse(record string)
	Validate() error
}

// validateOpts relaxes moov-io/ach where this reader deliberately accepts more
// than the NACHA rules: non-ASCII text (decoded above) and bank-specific return
// codes (reported by returnInfo with a clearer message).
var validateOpts = &ach.ValidateOpts{
	AllowSpecialCharacters: true,
	CustomReturnCodes:      true,
}

func newFileHeader() moovRecord {
	fh := ach.NewFileHeader()
	fh.SetValidation(validateOpts)

	return &fh
}

func newFileControl() moovRecord {
	fc := ach.NewFileControl()
	return &fc
}

func newBatchControl() moovRecord {
	bc := ach.NewBatchControl()
	bc.SetValidation(validateOpts)

	return bc
}

// validateBatchHeader runs moov-io/ach's rules over a batch header; IAT
// batches have their own layout.
func (p *parser) validateBatchHeader(b *batch) {
	if b.sec == "IAT" {
		h := ach.NewIATBatchHeader()
		h.SetValidation(validateOpts)
		p.validate(b.header, "batch header", h)

		return
	}

	h := ach.NewBatchHeader()
	h.SetValidation(validateOpts)
	p.validate(b.header, "batch header", h)
}

// validateEntry runs moov-io/ach's rules for the batch's SEC code over an
// entry detail record.
func (p *parser) validateEntry(b *batch, r *record) {
	if b.sec == "IAT" {
		ed := ach.NewIATEntryDetail()
		ed.SetValidation(validateOpts)
		p.validate(r, "entry detail", ed)

		return
	}

	ed := p.moov.entry()
	ed.SetSECCode(b.sec)
	p.validate(r, "entry detail", ed)
}

func (p *parser) validateAddenda(r *record) {
	if m := p.moov.addenda(r); m != nil {
		p.validate(r, "addenda "+r.field(2, 3), m)
	}
}

// moovCache keeps one moov-io/ach record of the most frequent types: Parse
// sets every field of the layout, so a record can be reused for the next one.
type moovCache struct {
	ed  *ach.EntryDetail
	a05 *ach.Addenda05
}

func (c *moovCache) entry() *ach.EntryDetail {
	if c.ed == nil {
		c.ed = ach.NewEntryDetail()
		c.ed.SetValidation(validateOpts)
	}

	return c.ed
}

// addenda returns the moov-io/ach type for an addenda record, nil for type
// codes it does not model.
func (c *moovCache) addenda(a *record) moovRecord {
	switch a.field(2, 3) {
	case "05":
		if c.a05 == nil {
			c.a05 = ach.NewAddenda05()
			c.a05.SetValidation(validateOpts)
		}

		return c.a05
	case "02":
		m := ach.NewAddenda02()
		m.SetValidation(validateOpts)

		return m
	case "98":
		if ach.IsRefusedChangeCode(strings.TrimSpace(a.field(4, 6))) {
			return ach.NewAddenda98Refused()
		}

		return ach.NewAddenda98()
	case "99":
		return returnAddenda(strings.TrimSpace(a.field(4, 6)))
	case "10":
		return ach.NewAddenda10()
	case "11":
		return ach.NewAddenda11()
	case "12":
		return ach.NewAddenda12()
	case "13":
		return ach.NewAddenda13()
	case "14":
		return ach.NewAddenda14()
	case "15":
		return ach.NewAddenda15()
	case "16":
		return ach.NewAddenda16()
	case "17":
		return ach.NewAddenda17()
	case "18":
		return ach.NewAddenda18()
	default:
		return nil
	}
}

// returnAddenda picks the 99 layout by reason code: dishonored returns (R61,
// R62, R67-R70) and contested dishonored returns (R71-R77) have their own.
func returnAddenda(code string) moovRecord {
	n, err := strconv.Atoi(strings.TrimPrefix(code, "R"))

	switch {
	case err == nil && n >= 71 && n <= 77:
		m := ach.NewAddenda99Contested()
		m.SetValidation(validateOpts)
		return m
	case err == nil && (n == 61 || n == 62 || (n >= 67 && n <= 70)):
		m := ach.NewAddenda99Dishonored()
		m.SetValidation(validateOpts)
		return m
	default:
		m := ach.NewAddenda99()
		m.SetValidation(validateOpts)
		return m
	}
}

// validate parses r with m and turns a validation error into a warning: a
// file that breaks a field rule is still read, but ops can see that it does.
func (p *parser) validate(r *record, what string, m moovRecord) {
	m.Parse(r.text)

	err := m.Validate()
	if err == nil {
		return
	}

	field, value, msg := "", "", err.Error()

	var fe *ach.FieldError
	if errors.As(err, &fe) {
		field = fe.FieldName
		if fe.Value != nil {
			value = strings.TrimSpace(fmt.Sprint(fe.Value))
		}

		if fe.Err != nil {
			msg = fe.Err.Error()
		}
	}

	p.warn(stageFields, r.line, strings.TrimSpace(what+" "+field), value, "%s", msg)
}
