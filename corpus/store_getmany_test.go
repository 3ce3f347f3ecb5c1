package corpus

import (
	"context"
	"fmt"
	"reflect"
	"testing"
)

func TestGetMany(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	var docs []Document
	for i := range 1203 { // more than two chunks
		docs = append(docs, faq(fmt.Sprintf("faq-%04d", i), fmt.Sprintf("Question %d?", i), "Answer."))
	}
	if _, err := s.Upsert(ctx, docs); err != nil {
		t.Fatal(err)
	}
	all := make([]string, 0, len(docs))
	for _, d := range docs {
		all = append(all, d.ID)
	}
	tests := []struct {
		name string
		ids  []string
		want []string
	}{
		{"none", nil, nil},
		{"one", []string{"faq-0007"}, []string{"faq-0007"}},
		{"unknown ids are left out", []string{"faq-0001", "nope", "faq-0002"}, []string{"faq-0001", "faq-0002"}},
		{"duplicates", []string{"faq-0003", "faq-0003"}, []string{"faq-0003"}},
		{"several chunks", all, all},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.GetMany(ctx, tt.ids)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d documents, want %d", len(got), len(tt.want))
			}
			for _, id := range tt.want {
				one, err := s.Get(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got[id], one) {
					t.Errorf("GetMany[%s] = %+v, Get = %+v", id, got[id], one)
				}
			}
		})
	}
}
