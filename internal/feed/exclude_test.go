package feed

import "testing"

func TestCompileExclude(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		in      string
		match   bool
	}{
		{"MISP form with flag", `/^http:\/\/www.phishtank.com/i`, "HTTP://WWW.PHISHTANK.COM/x", true},
		{"MISP form, no match", `/^http:\/\/www.phishtank.com/i`, "http://evil.example/", false},
		{"comment lines", `/^#.*/i`, "# banner", true},
		{"Go syntax", `^10\.`, "10.1.2.3", true},
		{"Go syntax, no match", `^10\.`, "110.1.2.3", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			re, err := CompileExclude(tt.pattern)
			if err != nil {
				t.Fatalf("CompileExclude(%q): %v", tt.pattern, err)
			}
			if got := excludes(re, tt.in, ""); got != tt.match {
				t.Errorf("excludes(%q): got %v, want %v", tt.in, got, tt.match)
			}
		})
	}
	if re, err := CompileExclude(""); re != nil || err != nil {
		t.Errorf("CompileExclude(\"\"): got %v, %v; want nil, nil", re, err)
	}
	if re, _ := CompileExclude("x*"); excludes(re, "", "") {
		t.Error("got an empty value excluded, want empty values never tested")
	}
}
