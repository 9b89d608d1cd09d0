import OpenAI from 'openai';

// A support-desk service as most code bases write it: one client, two handlers.
// `new OpenAI()` reads OPENAI_API_KEY (and OPENAI_BASE_URL, which the demo points at the testkit).
export const openai = new OpenAI();

const SYSTEM = 'You are a helpful support agent. Answer in one sentence.';

export async function answerTicket(question: string): Promise<string> {
  const completion = await openai.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: question },
    ],
  });
  return completion.choices[0]?.message.content ?? '';
}

export async function streamTicket(question: string, write: (text: string) => void): Promise<void> {
  const stream = await openai.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [
      { role: 'system', content: SYSTEM },
      { role: 'user', content: question },
    ],
    stream: true,
  });
  for await (const chunk of stream) write(chunk.choices[0]?.delta.content ?? '');
}
