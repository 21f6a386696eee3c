// bpmn-js's translate service over the page's texts (the server's translations of our labels).
export function translateModule(texts) {
  function translate(template, replacements) {
    const text = texts[template] || template;
    return text.replace(/{([^}]+)}/g, (whole, key) => (replacements && key in replacements ? replacements[key] : whole));
  }
  return { translate: ["value", translate] };
}
