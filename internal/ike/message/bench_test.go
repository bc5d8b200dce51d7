package message

import "testing"

func benchSample(b *testing.B, name string) sample {
	for _, s := range samples() {
		if s.name == name {
			return s
		}
	}
	b.Fatalf("no sample %q", name)
	return sample{}
}

func BenchmarkParseIKESAInit(b *testing.B) {
	s := benchSample(b, "IKE_SA_INIT request")
	b.SetBytes(int64(len(s.b)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(s.b); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMarshalIKESAInit(b *testing.B) {
	s := benchSample(b, "IKE_SA_INIT request")
	m, err := Parse(s.b)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 2048)
	b.SetBytes(int64(len(s.b)))
	b.ReportAllocs()
	for b.Loop() {
		if buf, err = m.AppendMarshal(buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseIKEAuthInner(b *testing.B) {
	s := benchSample(b, "IKE_AUTH request")
	b.SetBytes(int64(len(s.inner)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParsePayloads(s.first, s.inner); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckAndSummary(b *testing.B) {
	s := benchSample(b, "IKE_AUTH request")
	m, _ := Parse(s.b)
	inner, _ := ParsePayloads(s.first, s.inner)
	if err := m.SetDecrypted(inner); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		if err := Check(m, true); err != nil {
			b.Fatal(err)
		}
		buf = m.AppendSummary(buf[:0])
	}
}
