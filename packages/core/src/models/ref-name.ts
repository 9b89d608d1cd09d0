/** How events, spans and error messages name a model: `provider/model`. */
export function modelRefName(ref: { readonly provider: string; readonly model: string }): string {
  return `${ref.provider}/${ref.model}`;
}
