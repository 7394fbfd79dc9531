package engine

import "testing"

func TestParseMaxDelete(t *testing.T) {
	tests := []struct {
		in      string
		managed int
		want    int
		wantErr bool
	}{
		{"30%", 100, 30, false}, {"30%", 9, 2, false}, {"0", 50, 0, false}, {"12", 5, 12, false},
		{"100%", 7, 7, false}, {"29%", 100, 29, false}, {"57%", 100, 57, false}, {"33.3%", 1000, 333, false},
		{"0.1%", 1000, 1, false}, {"29%", 3, 0, false}, {"150%", 1, 0, true}, {"-1", 1, 0, true}, {"x%", 1, 0, true},
	}
	for _, tt := range tests {
		got, err := ParseMaxDelete(tt.in, tt.managed)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseMaxDelete(%q, %d) = %d, %v; want %d (error %v)", tt.in, tt.managed, got, err, tt.want, tt.wantErr)
		}
	}
}
