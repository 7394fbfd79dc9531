package agent

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// resolver reads the Secrets and ConfigMaps a Pod refers to.
type resolver struct {
	c   kubernetes.Interface
	pod *corev1.Pod
	ip  string
	// node is the Node's name and address, for spec.nodeName and status.hostIP.
	node, nodeIP string
}

// notReady is a reference that cannot be resolved yet (a Secret not created
// yet): the Pod stays Pending and is tried again, as the kubelet retries a mount.
type notReady struct{ reason, msg string }

func (e *notReady) Error() string { return e.msg }

func (r *resolver) secret(ctx context.Context, name string, optional *bool) (map[string][]byte, error) {
	s, err := r.c.CoreV1().Secrets(r.pod.Namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		if optional != nil && *optional {
			return nil, nil
		}
		return nil, &notReady{"FailedMount", fmt.Sprintf("secret %q not found", name)}
	}
	if err != nil {
		return nil, err
	}
	return s.Data, nil
}

func (r *resolver) configMap(ctx context.Context, name string, optional *bool) (map[string][]byte, error) {
	cm, err := r.c.CoreV1().ConfigMaps(r.pod.Namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		if optional != nil && *optional {
			return nil, nil
		}
		return nil, &notReady{"FailedMount", fmt.Sprintf("configmap %q not found", name)}
	}
	if err != nil {
		return nil, err
	}
	data := map[string][]byte{}
	for k, v := range cm.Data {
		data[k] = []byte(v)
	}
	for k, v := range cm.BinaryData {
		data[k] = v
	}
	return data, nil
}

// field is a downward-API fieldRef's value.
func (r *resolver) field(path string) (string, error) {
	p := r.pod
	switch path {
	case "metadata.name":
		return p.Name, nil
	case "metadata.namespace":
		return p.Namespace, nil
	case "metadata.uid":
		return string(p.UID), nil
	case "spec.nodeName":
		return r.node, nil
	case "spec.serviceAccountName":
		return p.Spec.ServiceAccountName, nil
	case "status.podIP", "status.podIPs":
		return r.ip, nil
	case "status.hostIP", "status.hostIPs":
		return r.nodeIP, nil
	}
	for prefix, m := range map[string]map[string]string{"metadata.labels": p.Labels, "metadata.annotations": p.Annotations} {
		if path == prefix {
			return formatMap(m), nil
		}
		if key, ok := strings.CutPrefix(path, prefix+"['"); ok {
			return m[strings.TrimSuffix(key, "']")], nil
		}
	}
	return "", fmt.Errorf("fieldRef %q is not supported", path)
}

func formatMap(m map[string]string) string {
	var lines []string
	for k, v := range m {
		lines = append(lines, fmt.Sprintf("%s=%q", k, v))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// env is a container's environment: envFrom, then env in order, each value's
// $(VAR) references expanded as the kubelet expands them.
func (r *resolver) env(ctx context.Context, c *corev1.Container) (map[string]string, error) {
	env := map[string]string{}
	for _, from := range c.EnvFrom {
		var data map[string][]byte
		var err error
		switch {
		case from.SecretRef != nil:
			data, err = r.secret(ctx, from.SecretRef.Name, from.SecretRef.Optional)
		case from.ConfigMapRef != nil:
			data, err = r.configMap(ctx, from.ConfigMapRef.Name, from.ConfigMapRef.Optional)
		}
		if err != nil {
			return nil, err
		}
		for k, v := range data {
			env[from.Prefix+k] = string(v)
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			env[e.Name] = expand(e.Value, env)
			continue
		}
		v, err := r.envValue(ctx, e)
		if err != nil {
			return nil, fmt.Errorf("env %s: %w", e.Name, err)
		}
		env[e.Name] = v
	}
	return env, nil
}

func (r *resolver) envValue(ctx context.Context, e corev1.EnvVar) (string, error) {
	vf := e.ValueFrom
	switch {
	case vf.FieldRef != nil:
		return r.field(vf.FieldRef.FieldPath)
	case vf.SecretKeyRef != nil:
		data, err := r.secret(ctx, vf.SecretKeyRef.Name, vf.SecretKeyRef.Optional)
		return keyOf(data, vf.SecretKeyRef.Key, vf.SecretKeyRef.Optional, "secret "+vf.SecretKeyRef.Name, err)
	case vf.ConfigMapKeyRef != nil:
		data, err := r.configMap(ctx, vf.ConfigMapKeyRef.Name, vf.ConfigMapKeyRef.Optional)
		return keyOf(data, vf.ConfigMapKeyRef.Key, vf.ConfigMapKeyRef.Optional, "configmap "+vf.ConfigMapKeyRef.Name, err)
	}
	return "", fmt.Errorf("only fieldRef, secretKeyRef and configMapKeyRef are supported")
}

func keyOf(data map[string][]byte, key string, optional *bool, what string, err error) (string, error) {
	if err != nil {
		return "", err
	}
	v, ok := data[key]
	if !ok && (optional == nil || !*optional) {
		return "", &notReady{"CreateContainerConfigError", fmt.Sprintf("%s has no key %q", what, key)}
	}
	return string(v), nil
}

// expand replaces $(NAME) with env's value, $$ with $, as the kubelet does;
// an unknown name stays as written.
func expand(s string, env map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
			continue
		case '(':
			if end := strings.IndexByte(s[i:], ')'); end > 0 {
				name := s[i+2 : i+end]
				if v, ok := env[name]; ok {
					b.WriteString(v)
				} else {
					b.WriteString(s[i : i+end+1])
				}
				i += end
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// volumes writes the Pod's volumes under dir/volumes and returns each one's
// host path by name. Secret, ConfigMap (items and modes), emptyDir,
// downwardAPI and projected sources of those are written; any other kind of
// volume is refused, and the Pod stays Pending.
func (r *resolver) volumes(ctx context.Context, dir string) (map[string]string, error) {
	paths := map[string]string{}
	for _, v := range r.pod.Spec.Volumes {
		host := filepath.Join(dir, "volumes", v.Name)
		if err := os.RemoveAll(host); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(host, 0o755); err != nil {
			return nil, err
		}
		var err error
		switch {
		case v.EmptyDir != nil:
		case v.Secret != nil:
			err = r.writeSource(ctx, host, "secret", v.Secret.SecretName, v.Secret.Optional, v.Secret.Items, v.Secret.DefaultMode)
		case v.ConfigMap != nil:
			err = r.writeSource(ctx, host, "configmap", v.ConfigMap.Name, v.ConfigMap.Optional, v.ConfigMap.Items, v.ConfigMap.DefaultMode)
		case v.DownwardAPI != nil:
			err = r.writeDownward(host, v.DownwardAPI.Items, v.DownwardAPI.DefaultMode)
		case v.Projected != nil:
			for _, src := range v.Projected.Sources {
				switch {
				case src.Secret != nil:
					err = r.writeSource(ctx, host, "secret", src.Secret.Name, src.Secret.Optional, src.Secret.Items, v.Projected.DefaultMode)
				case src.ConfigMap != nil:
					err = r.writeSource(ctx, host, "configmap", src.ConfigMap.Name, src.ConfigMap.Optional, src.ConfigMap.Items, v.Projected.DefaultMode)
				case src.DownwardAPI != nil:
					err = r.writeDownward(host, src.DownwardAPI.Items, v.Projected.DefaultMode)
				default:
					err = fmt.Errorf("volume %q: only secret, configMap and downwardAPI projections are supported", v.Name)
				}
				if err != nil {
					break
				}
			}
		default:
			err = fmt.Errorf("volume %q: only emptyDir, secret, configMap, downwardAPI and projected volumes are supported", v.Name)
		}
		if err != nil {
			return nil, err
		}
		paths[v.Name] = host
	}
	return paths, nil
}

func (r *resolver) writeSource(ctx context.Context, dir, kind, name string, optional *bool, items []corev1.KeyToPath, mode *int32) error {
	var data map[string][]byte
	var err error
	if kind == "secret" {
		data, err = r.secret(ctx, name, optional)
	} else {
		data, err = r.configMap(ctx, name, optional)
	}
	if err != nil {
		return err
	}
	if len(items) == 0 {
		for k := range data {
			items = append(items, corev1.KeyToPath{Key: k, Path: k})
		}
	}
	for _, it := range items {
		v, ok := data[it.Key]
		if !ok {
			if optional != nil && *optional {
				continue
			}
			return &notReady{"FailedMount", fmt.Sprintf("%s %q has no key %q", kind, name, it.Key)}
		}
		if err := writeFile(dir, it.Path, v, firstMode(it.Mode, mode)); err != nil {
			return err
		}
	}
	return nil
}

func (r *resolver) writeDownward(dir string, items []corev1.DownwardAPIVolumeFile, mode *int32) error {
	for _, it := range items {
		if it.FieldRef == nil {
			return fmt.Errorf("downwardAPI item %q: only fieldRef is supported", it.Path)
		}
		v, err := r.field(it.FieldRef.FieldPath)
		if err != nil {
			return err
		}
		if err := writeFile(dir, it.Path, []byte(v), firstMode(it.Mode, mode)); err != nil {
			return err
		}
	}
	return nil
}

func firstMode(modes ...*int32) os.FileMode {
	for _, m := range modes {
		if m != nil {
			return os.FileMode(*m)
		}
	}
	return 0o644
}

func writeFile(dir, rel string, data []byte, mode os.FileMode) error {
	if filepath.IsAbs(rel) || strings.Contains(rel, "..") {
		return fmt.Errorf("volume path %q must be relative without '..'", rel)
	}
	p := filepath.Join(dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	return os.WriteFile(p, data, mode)
}
