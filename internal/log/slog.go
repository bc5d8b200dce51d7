package log

import (
	"context"
	"log/slog"
)

// SlogHandler returns a log/slog handler that logs into l with group g and
// ctx, for code that speaks slog. slog levels map to charon's: Warn and
// above to Ctrl (1), Info to Diag (2), Debug to Raw (3), below Debug to
// Private (4). The record's message is followed by its attributes as
// " key=value" (groups as "group.key"), like slog's text handler without
// time and level.
func (l *Logger) SlogHandler(g Group, ctx Context) slog.Handler {
	return &slogHandler{l: l, g: g, ctx: ctx}
}

type slogHandler struct {
	l      *Logger
	g      Group
	ctx    Context
	prefix string // group path, "a.b."
	attrs  []byte // preformatted " k=v" of WithAttrs
}

// SlogLevel maps a slog level to charon's.
func SlogLevel(lv slog.Level) Level {
	switch {
	case lv >= slog.LevelWarn:
		return Ctrl
	case lv >= slog.LevelInfo:
		return Diag
	case lv >= slog.LevelDebug:
		return Raw
	}
	return Private
}

func (h *slogHandler) Enabled(_ context.Context, lv slog.Level) bool {
	return h.l.Enabled(h.g, SlogLevel(lv))
}

func (h *slogHandler) Handle(_ context.Context, r slog.Record) error {
	lv := SlogLevel(r.Level)
	if !h.l.Enabled(h.g, lv) {
		return nil
	}
	bp := getBuf()
	b := append((*bp)[:0], r.Message...)
	b = append(b, h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		b = appendAttr(b, h.prefix, a)
		return true
	})
	h.l.emit(h.g, lv, &h.ctx, b)
	*bp = b
	putBuf(bp)
	return nil
}

func (h *slogHandler) WithAttrs(as []slog.Attr) slog.Handler {
	n := *h
	b := append([]byte(nil), h.attrs...)
	for _, a := range as {
		b = appendAttr(b, h.prefix, a)
	}
	n.attrs = b
	return &n
}

func (h *slogHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	n := *h
	n.prefix = h.prefix + name + "."
	return &n
}

func appendAttr(b []byte, prefix string, a slog.Attr) []byte {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return b
	}
	if a.Value.Kind() == slog.KindGroup {
		p := prefix
		if a.Key != "" {
			p += a.Key + "."
		}
		for _, ga := range a.Value.Group() {
			b = appendAttr(b, p, ga)
		}
		return b
	}
	b = append(b, ' ')
	b = append(b, prefix...)
	b = append(b, a.Key...)
	b = append(b, '=')
	return append(b, a.Value.String()...)
}
