package crawl

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sofort-chat/sofort/corpus"
	"github.com/sofort-chat/sofort/corpus/crawl/extract"
)

// Discourse's public JSON API, as far as the crawler reads it: the latest
// topic list (newest bump first, paged by more_topics_url), each topic
// with its first posts and the ids of all of them, further posts by id,
// and the category list. The solved plugin marks the accepted post
// (accepted_answer on the post, and on the topic).

type dcTopicList struct {
	TopicList struct {
		MoreTopicsURL string    `json:"more_topics_url"`
		Topics        []dcTopic `json:"topics"`
	} `json:"topic_list"`
}

type dcTopic struct {
	ID         int64           `json:"id"`
	Title      string          `json:"title"`
	Slug       string          `json:"slug"`
	PostsCount int             `json:"posts_count"`
	CreatedAt  time.Time       `json:"created_at"`
	BumpedAt   time.Time       `json:"bumped_at"`
	Pinned     bool            `json:"pinned"`
	CategoryID int64           `json:"category_id"`
	Tags       json.RawMessage `json:"tags"`
	Archetype  string          `json:"archetype"`
}

type dcTopicFull struct {
	dcTopic
	PostStream struct {
		Posts  []dcPost `json:"posts"`
		Stream []int64  `json:"stream"`
	} `json:"post_stream"`
	AcceptedAnswer *struct {
		PostNumber int `json:"post_number"`
	} `json:"accepted_answer"`
}

type dcPost struct {
	ID             int64     `json:"id"`
	Username       string    `json:"username"`
	Cooked         string    `json:"cooked"`
	PostNumber     int       `json:"post_number"`
	PostType       int       `json:"post_type"`
	CreatedAt      time.Time `json:"created_at"`
	Hidden         bool      `json:"hidden"`
	UserDeleted    bool      `json:"user_deleted"`
	DeletedAt      *string   `json:"deleted_at"`
	AcceptedAnswer bool      `json:"accepted_answer"`
	ActionsSummary []struct {
		ID    int `json:"id"`
		Count int `json:"count"`
	} `json:"actions_summary"`
}

type dcCategories struct {
	CategoryList struct {
		Categories []dcCategory `json:"categories"`
	} `json:"category_list"`
}

type dcCategory struct {
	ID              int64        `json:"id"`
	Name            string       `json:"name"`
	SubcategoryList []dcCategory `json:"subcategory_list"`
}

// tags reads a topic's tags, which Discourse gives as strings or (newer
// versions) as objects with a name.
func dcTags(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var names []string
	if json.Unmarshal(raw, &names) == nil {
		return names
	}
	var objs []struct {
		Name string `json:"name"`
	}
	if json.Unmarshal(raw, &objs) == nil {
		for _, o := range objs {
			names = append(names, o.Name)
		}
	}
	return names
}

// discourseBase returns the forum's base URL for a URL inside it: the
// part of the path before /latest, /t/, /c/ or the like, so forums under
// a subpath work.
func discourseBase(u *url.URL) *url.URL {
	b := *u
	b.RawQuery, b.Fragment = "", ""
	p := b.Path
	for _, marker := range []string{"/latest", "/t/", "/c/", "/categories", "/tags", "/top", "/new", "/site.json", "/about.json"} {
		if i := strings.Index(p, marker); i >= 0 {
			p = p[:i]
			break
		}
	}
	b.Path = strings.TrimSuffix(p, "/")
	b.RawPath = ""
	return &b
}

func dcURL(base *url.URL, path string) string { return strings.TrimSuffix(base.String(), "/") + path }

// dcJSONURL turns more_topics_url ("/latest?no_definitions=true&page=1",
// relative to the forum, without .json) into the JSON endpoint.
func dcJSONURL(base *url.URL, more string) (string, error) {
	m, err := url.Parse(more)
	if err != nil {
		return "", err
	}
	if !strings.HasSuffix(m.Path, ".json") {
		m.Path += ".json"
	}
	p := m.Path
	if bp := strings.TrimSuffix(base.Path, "/"); bp != "" && !strings.HasPrefix(p, bp+"/") {
		p = bp + p
	}
	out := *base
	out.Path, out.RawPath, out.RawQuery = p, "", m.RawQuery
	return out.String(), nil
}

// topicDoc makes the thread document of a topic: the first post is the
// question, the others its posts, the solved plugin's accepted post
// marked, likes as votes, the category and tags as tags.
func topicDoc(src *Source, base *url.URL, t *dcTopicFull, posts []dcPost, category string) (corpus.Document, error) {
	if t.ID == 0 || strings.TrimSpace(t.Title) == "" {
		return corpus.Document{}, fmt.Errorf("topic without id or title")
	}
	accepted := 0
	if t.AcceptedAnswer != nil {
		accepted = t.AcceptedAnswer.PostNumber
	}
	d := corpus.Document{
		ID:      src.Name + ":t" + strconv.FormatInt(t.ID, 10),
		Kind:    corpus.KindThread,
		Lang:    src.Lang,
		Title:   t.Title,
		URL:     dcURL(base, "/t/"+t.Slug+"/"+strconv.FormatInt(t.ID, 10)),
		Source:  src.Name,
		Created: t.CreatedAt,
	}
	d.Tags = append(d.Tags, src.Tags...)
	if category != "" {
		d.Tags = append(d.Tags, category)
	}
	d.Tags = append(d.Tags, dcTags(t.Tags)...)
	for _, p := range posts {
		if p.PostType != 1 || p.Hidden || p.UserDeleted || p.DeletedAt != nil {
			continue
		}
		body := truncate(extract.Text(p.Cooked), corpus.MaxFieldBytes)
		if body == "" {
			continue
		}
		if p.PostNumber == 1 {
			d.Question = body
			continue
		}
		if len(d.Posts) >= corpus.MaxPosts {
			break
		}
		votes := 0
		for _, a := range p.ActionsSummary {
			if a.ID == 2 { // like
				votes = a.Count
			}
		}
		d.Posts = append(d.Posts, corpus.Post{
			Author:   p.Username,
			Body:     body,
			Accepted: p.AcceptedAnswer || accepted != 0 && p.PostNumber == accepted,
			Votes:    votes,
			Created:  p.CreatedAt,
		})
	}
	return d, nil
}
