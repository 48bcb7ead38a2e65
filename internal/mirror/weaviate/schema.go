package weaviate

import (
	"crypto/sha1"
	"fmt"
	"strings"
)

// The properties every mirrored segment carries: all filterable, so the
// search filters translate (video_id, modality, scope, model and the
// source are text with "field" tokenization, matched whole; start, end
// and norm are numbers; segment_id is the local row id).
const (
	PropSegmentID  = "segment_id"
	PropVideoID    = "video_id"
	PropModality   = "modality"
	PropScope      = "scope"
	PropStart      = "start"
	PropEnd        = "end"
	PropModel      = "model"
	PropNorm       = "norm"
	PropSourceKind = "source_kind"
	PropSourceID   = "source_id"
)

// DefaultPrefix starts the name of every collection clipvec creates.
const DefaultPrefix = "Clipvec"

// CollectionName is the collection (Weaviate class) that mirrors one
// embedding space: prefix, model and dimension, with every character a
// class name cannot hold made "_", and the first letter upper case as
// Weaviate requires: "Clipvec_marengo3_0_512".
func CollectionName(prefix, model string, dim int) string {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	name := fmt.Sprintf("%s_%s_%d", prefix, model, dim)
	b := []byte(name)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			b[i] = '_'
		}
	}
	name = string(b)
	if c := name[0]; c >= 'a' && c <= 'z' {
		name = strings.ToUpper(name[:1]) + name[1:]
	} else if !(c >= 'A' && c <= 'Z') {
		name = "C" + name
	}
	return name
}

// objectNamespace is the UUID (v5) namespace of clipvec's object ids.
var objectNamespace = [16]byte{0x6c, 0x69, 0x70, 0x76, 0x65, 0x63, 0x4f, 0x62, 0x8a, 0x11, 0x3e, 0x0d, 0x5c, 0x27, 0x91, 0x04}

// ObjectID is the Weaviate object id of a segment: a UUID (version 5) of
// the store's random id and the segment's row id. A segment replaced in
// place keeps its row id, so its object is overwritten; row ids are never
// reused, so a deleted segment's id names nothing else; and two
// databases never write the same object.
func ObjectID(storeID, segmentID int64) string {
	h := sha1.New()
	h.Write(objectNamespace[:])
	fmt.Fprintf(h, "%d/%d", storeID, segmentID)
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50 // version 5
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}
