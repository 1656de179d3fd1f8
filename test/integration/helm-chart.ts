// The small chart used by helm.test.ts: a Deployment (replicas from
// values), a Service, a ConfigMap (data from values), a CRD in crds/ and an
// object of it.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function writeDemoChart(dir: string): void {
  const files: Record<string, string> = {
    'Chart.yaml': `apiVersion: v2
name: demo
description: a small chart for the kts helm test
type: application
version: 0.1.0
appVersion: "1.0.0"
`,
    'values.yaml': `replicas: 2
data: one
image: busybox:1.36
`,
    'crds/gadgets.yaml': `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.demo.example.com
spec:
  group: demo.example.com
  scope: Namespaced
  names:
    plural: gadgets
    singular: gadget
    kind: Gadget
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer}
              color: {type: string, default: blue}
`,
    'templates/configmap.yaml': `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-config
  labels:
    app.kubernetes.io/instance: {{ .Release.Name }}
data:
  value: {{ .Values.data | quote }}
  release: {{ .Release.Name }}
`,
    'templates/deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-web
  labels:
    app.kubernetes.io/instance: {{ .Release.Name }}
spec:
  replicas: {{ .Values.replicas }}
  selector:
    matchLabels:
      app: {{ .Release.Name }}-web
  template:
    metadata:
      labels:
        app: {{ .Release.Name }}-web
      annotations:
        demo/data: {{ .Values.data | quote }}
    spec:
      containers:
      - name: web
        image: {{ .Values.image }}
        ports:
        - containerPort: 8080
          name: http
        env:
        - name: DATA
          valueFrom:
            configMapKeyRef:
              name: {{ .Release.Name }}-config
              key: value
`,
    'templates/service.yaml': `apiVersion: v1
kind: Service
metadata:
  name: {{ .Release.Name }}-svc
  labels:
    app.kubernetes.io/instance: {{ .Release.Name }}
spec:
  selector:
    app: {{ .Release.Name }}-web
  ports:
  - name: http
    port: 80
    targetPort: http
`,
    'templates/gadget.yaml': `apiVersion: demo.example.com/v1
kind: Gadget
metadata:
  name: {{ .Release.Name }}-gadget
spec:
  size: {{ .Values.replicas }}
`,
  };
  for (const [name, text] of Object.entries(files)) {
    const p = join(dir, name);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, text);
  }
}
