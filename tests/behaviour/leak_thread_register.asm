; A thread allocates a block and keeps its address in r12 only: not in memory, not on its
; stack (scrubbed). While it spins, main calls exit(). The leak scan stops the thread and
; reads its registers, so the block is still reachable: no leak is reported.
; RUN-ARGS: --show-leak-kinds=all
; EXPECT-NOT: definitely lost in loss record
; EXPECT: 48 bytes in 1 block is still reachable
; EXPECT-STATUS: 0
        global  main
        extern  malloc, exit, pthread_create
        section .bss
ready:  resq    1
tid:    resq    1
        section .text
worker:
        mov     rdi, 48
        call    malloc
        mov     r12, rax          ; the only copy
        mov     qword [rax], 7
        xor     eax, eax          ; scrub the registers that held it and the stack below
        mov     rdi, rsp
        sub     rdi, 8192
        mov     rcx, 1024
        rep stosq
        xor     edi, edi
        xor     esi, esi
        xor     edx, edx
        xor     ecx, ecx
        xor     r8d, r8d
        xor     r9d, r9d
        xor     r10d, r10d
        xor     r11d, r11d
        mov     qword [rel ready], 1
.spin:  pause
        jmp     .spin
main:
        push    rbx
        lea     rdi, [rel tid]
        xor     esi, esi
        lea     rdx, [rel worker]
        xor     ecx, ecx
        call    pthread_create
.wait:  pause
        cmp     qword [rel ready], 0
        je      .wait
        xor     edi, edi
        call    exit
        section .note.GNU-stack noalloc noexec nowrite progbits
