package notify

import (
	"github.com/spf13/pflag"
)

// Flags are the controller flags that configure notifications.
type Flags struct {
	Receivers          []string
	QueueSize, Workers int
}

// AddFlags defines --notify-receiver (repeatable), --notify-queue-size and
// --notify-workers on fs.
func (f *Flags) AddFlags(fs *pflag.FlagSet) {
	fs.StringArrayVar(&f.Receivers, "notify-receiver", nil,
		"a receiver of release notifications, NAME=KIND,url-file=PATH or NAME=KIND,url-env=VARIABLE with KIND webhook or slack "+
			"(the URL holds secrets: it is read from the file or variable, never given on the command line); repeat for several")
	fs.IntVar(&f.QueueSize, "notify-queue-size", 1000, "notifications waiting to be sent, across receivers, before new ones are dropped")
	fs.IntVar(&f.Workers, "notify-workers", 2, "notifications sent at once")
}

// Options parses the receivers into Options; the caller adds the
// Registerer and Logger.
func (f *Flags) Options() (Options, error) {
	o := Options{QueueSize: f.QueueSize, Workers: f.Workers}
	for _, v := range f.Receivers {
		s, err := ParseSpec(v)
		if err != nil {
			return Options{}, err
		}
		o.Receivers = append(o.Receivers, s)
	}
	return o, nil
}
